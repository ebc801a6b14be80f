#!/bin/sh
# The locator sources, histories and logfiles, on a whole fake host built
# under a temporary root: every account's histories and start-up files,
# HISTFILE followed, logs found by name and from database configuration;
# and their hostile twins: broken passwd lines, a home that is a link to
# /etc, HISTFILE at /etc/shadow, absurd and looping values, a /var/lib of
# 100,000 files, configurations pointing out of the root.
. "$(dirname "$0")/lib.sh"

make_key
H=$TEST_TMP/host

# A profile collecting the two sources with root: $H, into $1.
profile() {
	cat >"$1" <<-EOF
	name: located
	entries:
	  - live: histories
	    root: $H
	  - live: logfiles
	    root: $H
	EOF
}

# collect_host OUT [OPTIONS...]: collect the fake host, exit status to ./status.
# The fake host's links were just made: each is read once, a moment later,
# so that relatime spares their atimes and custody reads their targets.
collect_host() {
	out=$1
	shift
	sleep 0.1
	find "$H" -type l -exec readlink {} + >/dev/null
	timeout 120 "$CUSTODY" collect --key "$TEST_TMP/key" --profile located.yaml \
	    -o "$out" "$@" >/dev/null 2>err
	echo $? >status
}

# The content entries (with a member) of a source in extracted archive $1.
members() {
	jq -c --arg s "$2" 'select(.type == "entry" and .source == $s and .path != null)' \
	    "$1/custody/manifest.jsonl"
}

# jq over live/$2.json of extracted archive $1.
doc() {
	jq -e "$3" "$1/live/$2.json" >/dev/null
}

test_expect_success 'a fake host: accounts, homes, histories, start-up files, logs' '
	mkdir -p "$H/etc/profile.d" "$H/root" "$H/home/alice/.local/share/fish" \
	    "$H/home/alice/.config/fish" "$H/home/alice/proj" "$H/var/lib/postgresql" \
	    "$H/var/www/site" "$H/opt/app/logs" "$H/srv/db" "$H/srv/x" "$H/outside" \
	    "$TEST_TMP/outside" &&
	{
		echo "root:x:0:0:root:/root:/bin/bash"
		echo "alice:x:1000:1000:Alice:/home/alice:/bin/zsh"
		echo "bob:x:1001:1001:Bob shares:/home/alice:/bin/bash"
		echo "postgres:x:105:110:PostgreSQL:/var/lib/postgresql:/bin/bash"
		echo "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin"
		echo "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin"
		echo "daemon:x:1:1:daemon:/:/usr/sbin/nologin"
		echo "evil:x:1002:1002:evil:/home/evil:/bin/sh"
		echo "brokenline"
		echo "bad:x:notanumber:0::/home/bad:/bin/sh"
		echo "+::::::"
		echo "short:x:1:1"
		printf "huge:x:1:1:%05000d:/home/huge:/bin/sh\n" 0
		printf "nul:x:1:1:\000:/home/nul:/bin/sh\n"
	} >"$H/etc/passwd" &&
	echo "root:\$6\$secret:19000:0:99999:7:::" >"$H/etc/shadow" &&
	echo fakehost >"$H/etc/hostname" &&
	ln -s /etc "$H/home/evil" &&
	echo "ls /root" >"$H/root/.bash_history" &&
	echo "export HISTFILE=~/.hist_root" >"$H/root/.bashrc" &&
	echo "cat /etc/shadow" >"$H/root/.hist_root" &&
	for f in .zsh_history .python_history .mysql_history .psql_history .lesshst \
	    .viminfo .wget-hsts .node_repl_history .sqlite_history; do
		echo "alice $f" >"$H/home/alice/$f" || return 1
	done &&
	echo "- cmd: scp db.sql evil:" >"$H/home/alice/.local/share/fish/fish_history" &&
	echo "set -x EDITOR vi" >"$H/home/alice/.config/fish/config.fish" &&
	ln -s /dev/null "$H/home/alice/.bash_history" &&
	{
		echo "HISTFILE=\"\$HOME/.zhist\""
		echo "[ -n x ] && export HISTFILE=/srv/hidden.h # moved away"
		echo "HISTFILE=\$(cat /x)"
		printf "HISTFILE=/%05000d\n" 0
		echo "HISTFILE=/"
		echo "HISTFILE=~/loop"
		echo "HISTFILE=~/../../../../../../../etc/hostname"
		echo "# HISTFILE=/commented/out"
		echo "SAVEHIST=0"
	} >"$H/home/alice/.zshrc" &&
	echo "alice zhist" >"$H/home/alice/.zhist" &&
	echo "hidden" >"$H/srv/hidden.h" &&
	ln -s loop "$H/home/alice/loop" &&
	echo "export HISTFILE=/etc/shadow" >"$H/etc/bash.bashrc" &&
	{ echo "unset HISTFILE"; echo "set +o history"; } >"$H/etc/profile.d/quiet.sh" &&
	echo "export HISTFILE=/dev/null" >"$H/etc/profile" &&
	echo "select 1;" >"$H/var/lib/postgresql/.psql_history" &&
	echo app >"$H/opt/app/logs/app.log" && echo one >"$H/opt/app/logs/app.log.1" &&
	echo two | gzip >"$H/opt/app/logs/app.log.2.gz" &&
	echo dated >"$H/opt/app/logs/app.log-20261201" &&
	echo not >"$H/opt/app/logs/login.txt" && echo not >"$H/opt/app/blog.html" &&
	echo access >"$H/srv/x/access_log" &&
	echo err | xz >"$H/var/www/site/error.log.xz" &&
	echo dbg | bzip2 >"$H/home/alice/proj/debug.log.bz2" &&
	echo "far away" >"$TEST_TMP/outside/secret.log"
'

test_expect_success 'database configuration: PostgreSQL clusters and MySQL option files' '
	mkdir -p "$H/etc/postgresql/15/main/conf.d" "$H/etc/postgresql/16/evil" \
	    "$H/var/lib/postgresql/15/main/pg_custom" "$H/var/lib/postgresql/16/evil" \
	    "$H/etc/postgresql/17/abs" \
	    "$H/etc/mysql/mariadb.conf.d" "$H/var/lib/mysql" "$H/etc/alternatives" &&
	{
		echo "# Debian layout"
		echo "data_directory = '"'"'/var/lib/postgresql/15/main'"'"'"
		echo "include_dir = '"'"'conf.d'"'"'"
	} >"$H/etc/postgresql/15/main/postgresql.conf" &&
	{
		echo "logging_collector = on"
		echo "log_directory = '"'"'pg_custom'"'"'	# relative to the data directory"
	} >"$H/etc/postgresql/15/main/conf.d/logging.conf" &&
	echo "2026-12-01 LOG: connection authorized" \
	    >"$H/var/lib/postgresql/15/main/pg_custom/postgresql-Mon.csv" &&
	{
		echo "data_directory = /var/lib/postgresql/16/evil"
		echo "log_directory = $TEST_TMP/outside"
		echo "include = postgresql.conf"
	} >"$H/etc/postgresql/16/evil/postgresql.conf" &&
	echo "log_directory = log" >"$H/var/lib/postgresql/16/evil/postgresql.auto.conf" &&
	ln -s "$TEST_TMP/outside" "$H/var/lib/postgresql/16/evil/log" &&
	echo "log_directory = '"'"'$TEST_TMP/outside'"'"'" >"$H/etc/postgresql/17/abs/postgresql.conf" &&
	ln -s /etc/alternatives/my.cnf "$H/etc/mysql/my.cnf" &&
	ln -s /etc/mysql/mariadb.cnf "$H/etc/alternatives/my.cnf" &&
	echo "!includedir /etc/mysql/mariadb.conf.d/" >"$H/etc/mysql/mariadb.cnf" &&
	{
		echo "[mysqld]"
		echo "datadir = /var/lib/mysql"
		echo "general-log-file = general.trace"
		echo "slow_query_log_file = \"/srv/db/slow.trace\""
		echo "[client]"
		echo "log_error = /srv/db/client-not-server.trace"
	} >"$H/etc/mysql/mariadb.conf.d/50-server.cnf" &&
	echo "!include /etc/mysql/mariadb.cnf" >"$H/etc/mysql/mariadb.conf.d/99-loop.cnf" &&
	echo general >"$H/var/lib/mysql/general.trace" &&
	echo slow >"$H/srv/db/slow.trace" &&
	echo "startup failed" >"$H/var/lib/mysql/db1.err"
'

test_expect_success 'a /var/lib of 100,000 files' '
	python3 -c "
import os, sys
d = sys.argv[1]
os.makedirs(d)
for i in range(100000):
    os.close(os.open(os.path.join(d, \"f%06d\" % i), os.O_CREAT | os.O_WRONLY, 0o644))
" "$H/var/lib/many" && profile located.yaml
'

test_expect_success 'collected in bounded time; the archive verifies, by hand too' '
	collect_host a.tar.zst && test "$(cat status)" = 0 &&
	custody verify --key key.pub a.tar.zst >/dev/null &&
	byhand_agrees 0 archive a.tar.zst key.pub &&
	extract a.tar.zst ax
'

test_expect_success 'histories and start-up files of every account, service accounts too' '
	for f in root/.bash_history root/.bashrc root/.hist_root home/alice/.zsh_history \
	    home/alice/.python_history home/alice/.mysql_history home/alice/.psql_history \
	    home/alice/.lesshst home/alice/.viminfo home/alice/.wget-hsts \
	    home/alice/.node_repl_history home/alice/.sqlite_history home/alice/.zshrc \
	    home/alice/.local/share/fish/fish_history home/alice/.config/fish/config.fish \
	    var/lib/postgresql/.psql_history etc/profile etc/bash.bashrc \
	    etc/profile.d/quiet.sh; do
		test "$(members ax "$H/$f" | wc -l)" = 1 || { echo "not once: $f"; return 1; }
		cmp "$H/$f" "ax/files$H/$f" || return 1
	done &&
	doc ax histories ".passwd.accounts == 8" &&
	doc ax histories "[.accounts[].name] | index(\"postgres\") != null"
'

test_expect_success 'a home shared by two accounts is searched once and says so' '
	doc ax histories "[.homes[] | select(.path == \"/home/alice\")] | length == 1" &&
	doc ax histories ".homes[] | select(.path == \"/home/alice\") | .accounts == [\"alice\", \"bob\"]" &&
	doc ax histories ".homes[] | select(.path == \"/nonexistent\") | .status == \"not present\"" &&
	doc ax histories ".homes[] | select(.path == \"/\") | .status == \"searched\""
'

test_expect_success 'a home that is a link to /etc is recorded, not followed' '
	doc ax histories ".homes[] | select(.path == \"/home/evil\") |
	    .status == \"symbolic link, not followed\" and .target == \"/etc\"" &&
	! jq -r "select(.type == \"entry\") | .source" ax/custody/manifest.jsonl | grep "^/etc/"
'

test_expect_success 'broken passwd lines are counted and named, the rest read' '
	doc ax histories ".passwd.broken_lines == 6" &&
	for r in "not seven fields" "user or group id not a number" "NIS entry, not an account" \
	    "line longer than 4096 bytes" "NUL byte in line"; do
		doc ax histories "[.passwd.broken[].reason] | index(\"$r\") != null" ||
		{ echo "no: $r"; return 1; }
	done
'

test_expect_success 'HISTFILE followed: quotes, export, ~ and $HOME; outside the home noted' '
	doc ax histories ".homes[] | select(.path == \"/root\") | .histfile[] |
	    select(.value == \"~/.hist_root\") | .status == \"collected\"" &&
	doc ax histories ".homes[] | select(.path == \"/home/alice\") | .histfile[] |
	    select(.value == \"\$HOME/.zhist\") | .path == \"/home/alice/.zhist\"" &&
	test "$(members ax "$H/home/alice/.zhist" | wc -l)" = 1 &&
	test "$(members ax "$H/srv/hidden.h" | wc -l)" = 1 &&
	doc ax histories "[.findings[] | select(.finding == \"history-outside-home\" and
	    .path == \"/srv/hidden.h\")] | length == 1" &&
	! doc ax histories ".statements[] | select(.value == \"/commented/out\")"
'

test_expect_success 'history switched off is a finding: /dev/null, unset, set +o history, size 0, a link' '
	for f in history-disabled history-unset history-off history-size-zero \
	    history-linked-to-dev-null; do
		doc ax histories "[.findings[] | select(.finding == \"$f\")] | length >= 1" ||
		{ echo "no finding $f"; return 1; }
	done &&
	doc ax histories ".findings[] | select(.finding == \"history-disabled\") |
	    select(.file == \"/etc/profile\")" &&
	doc ax histories ".findings[] | select(.finding == \"history-linked-to-dev-null\") |
	    .path == \"/home/alice/.bash_history\""
'

test_expect_success 'HISTFILE=/etc/shadow: the secrets rule holds below root:' '
	doc ax histories ".system.files[] | select(.path == \"/etc/bash.bashrc\")" &&
	manifest_entry ax "$H/etc/shadow" | jq -e ".status == \"skipped\" and
	    (.reason | test(\"secret\"))" >/dev/null &&
	! test -e "ax/files$H/etc/shadow" &&
	collect_host s.tar.zst --include-secrets && test "$(cat status)" = 0 &&
	extract s.tar.zst sx && cmp "$H/etc/shadow" "sx/files$H/etc/shadow"
'

test_expect_success 'absurd HISTFILE values end recorded: commands, huge, a directory, loops, ..' '
	doc ax histories ".homes[] | select(.path == \"/home/alice\") | .histfile[] |
	    select(.value == \"\$(cat /x)\") | .status | test(\"not resolved\")" &&
	doc ax histories ".homes[] | select(.path == \"/home/alice\") | .histfile[] |
	    select(.value == null) | .status | test(\"longer than\")" &&
	doc ax histories ".homes[] | select(.path == \"/home/alice\") | .histfile[] |
	    select(.value == \"/\") | .status == \"not collected: not a regular file\"" &&
	manifest_entry ax "$H/home/alice/loop" | jq -e ".status == \"metadata-only\"" >/dev/null &&
	doc ax histories ".homes[] | select(.path == \"/home/alice\") | .histfile[] |
	    select(.value | tostring | startswith(\"~/../\")) | .path == \"/etc/hostname\"" &&
	cmp "$H/etc/hostname" "ax/files$H/etc/hostname"
'

test_expect_success 'logs outside /var/log by name, rotated and compressed; others left' '
	for f in opt/app/logs/app.log opt/app/logs/app.log.1 opt/app/logs/app.log.2.gz \
	    opt/app/logs/app.log-20261201 srv/x/access_log var/www/site/error.log.xz \
	    home/alice/proj/debug.log.bz2; do
		test "$(members ax "$H/$f" | wc -l)" = 1 || { echo "not once: $f"; return 1; }
	done &&
	test -z "$(members ax "$H/opt/app/logs/login.txt")" &&
	test -z "$(members ax "$H/opt/app/blog.html")" &&
	doc ax logfiles ".walks[] | select(.path == \"/opt\") | .files | length == 4"
'

test_expect_success 'a /var/lib of 100,000 files: the walk stops at its cap, recorded' '
	doc ax logfiles ".walks[] | select(.path == \"/var/lib\") |
	    .truncated == true and .entries == 100000" &&
	doc ax logfiles ".limits.max_entries == 100000"
'

test_expect_success 'PostgreSQL: log_directory from an included file, relative to data_directory' '
	doc ax logfiles ".postgresql[] | select(.config_directory == \"/etc/postgresql/15/main\") |
	    .log_directories[0] | .path == \"/var/lib/postgresql/15/main/pg_custom\" and
	    .origin == \"/etc/postgresql/15/main/conf.d/logging.conf:2\"" &&
	f=var/lib/postgresql/15/main/pg_custom/postgresql-Mon.csv &&
	test "$(members ax "$H/$f" | wc -l)" = 1
'

test_expect_success 'a log directory pointing out of root: is not followed out' '
	doc ax logfiles ".postgresql[] | select(.config_directory == \"/etc/postgresql/16/evil\") |
	    .log_directories[0].walk.status | test(\"not followed\")" &&
	doc ax logfiles ".postgresql[] | select(.config_directory == \"/etc/postgresql/16/evil\") |
	    .files | map(.status) | index(\"read before\") != null" &&
	doc ax logfiles ".postgresql[] | select(.config_directory == \"/etc/postgresql/17/abs\") |
	    .log_directories[0] | .path == \"$TEST_TMP/outside\" and .walk.status == \"not present\"" &&
	! grep -F "$TEST_TMP/outside" ax/custody/manifest.jsonl
'

test_expect_success 'MySQL: links, !includedir, a loop, server sections only, relative to datadir' '
	doc ax logfiles ".mysql.files[] | select(.path == \"/etc/mysql/mariadb.conf.d/99-loop.cnf\")" &&
	doc ax logfiles ".mysql.files | map(.status) | index(\"read before\") != null" &&
	doc ax logfiles ".mysql.logs[] | select(.setting == \"general_log_file\") |
	    .path == \"/var/lib/mysql/general.trace\" and
	    .origin == \"/etc/mysql/mariadb.conf.d/50-server.cnf:3\"" &&
	test "$(members ax "$H/var/lib/mysql/general.trace" | wc -l)" = 1 &&
	test "$(members ax "$H/srv/db/slow.trace" | wc -l)" = 1 &&
	test "$(members ax "$H/var/lib/mysql/db1.err" | wc -l)" = 1 &&
	test -z "$(members ax "$H/srv/db/client-not-server.trace")"
'

test_expect_success 'two entries reaching one file: one manifest entry' '
	cat >twice.yaml <<-EOF &&
	name: twice
	entries:
	  - live: histories
	    root: $H
	  - path: $H/root
	  - path: $H/home/alice/.zsh_history
	EOF
	timeout 120 "$CUSTODY" collect --key key --profile twice.yaml -o t.tar.zst 2>err &&
	extract t.tar.zst tx &&
	test "$(jq -c --arg s "$H/root/.bash_history" "select(.source == \$s)" \
	    tx/custody/manifest.jsonl | wc -l)" = 1 &&
	test "$(jq -c --arg s "$H/home/alice/.zsh_history" "select(.source == \$s)" \
	    tx/custody/manifest.jsonl | wc -l)" = 1 &&
	grep -F "named again by a later entry" tx/custody/collection.log >/dev/null
'

test_expect_success 'triage and logs use the sources; no fixed history entries are left' '
	grep -F "live: histories" "$SRCDIR/profiles/triage.yaml" &&
	grep -F "live: logfiles" "$SRCDIR/profiles/triage.yaml" &&
	grep -F "live: logfiles" "$SRCDIR/profiles/logs.yaml" &&
	! grep -E "path: /(root|home/\*)/\.(\*history|bash|profile|z)" "$SRCDIR/profiles/triage.yaml"
'

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	test_expect_success 'not root: an unreadable home is recorded with the reason' '
		mkdir -p "$H/home/carol" && echo "carol" >"$H/home/carol/.bash_history" &&
		chmod 700 "$H/home/carol" &&
		echo "carol:x:1003:1003:Carol:/home/carol:/bin/bash" >>"$H/etc/passwd" &&
		cp key nobody.key && chown nobody nobody.key && mkdir nobody-out &&
		chown nobody nobody-out &&
		timeout 120 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    "$CUSTODY" collect --key nobody.key --profile located.yaml \
		    -o nobody-out/n.tar.zst >/dev/null 2>err; test $? -le 3 &&
		custody verify --key key.pub nobody-out/n.tar.zst >/dev/null &&
		extract nobody-out/n.tar.zst nx &&
		doc nx histories ".homes[] | select(.path == \"/home/carol\") |
		    .status == \"unreadable\" and .error == \"Permission denied\"" &&
		doc nx logfiles ".walks[] | select(.path == \"/home/carol\") |
		    .status == \"unreadable\" and .error == \"Permission denied\"" &&
		! test -e "nx/files$H/home/carol/.bash_history"
	'
else
	test_skip 'not root: an unreadable home is recorded with the reason' 'needs root and setpriv'
fi

test_done
