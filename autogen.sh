#!/bin/sh
# Regenerate the build system; stop at the first failure.
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
autoreconf -fi
