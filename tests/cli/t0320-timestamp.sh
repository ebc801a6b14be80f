#!/bin/sh
# RFC 3161 time-stamps against a local TSA made with `openssl ts -reply`:
# requests, attaching responses beside the file and in the ledger, and
# checking them with custody and with `openssl ts -verify`.
. "$(dirname "$0")/lib.sh"

make_key ada

# A throwaway CA and a P-256 TSA certified for time-stamping.
make_tsa() {
	mkdir -p "$1" && (
	cd "$1" &&
	openssl ecparam -name prime256v1 -genkey -noout -out ca.key &&
	openssl req -new -x509 -key ca.key -subj "/CN=Test Root $1" -days 30 -out ca.crt \
	    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign &&
	openssl ecparam -name prime256v1 -genkey -noout -out tsa.key &&
	openssl req -new -key tsa.key -subj "/CN=Test TSA $1" -out tsa.csr &&
	printf "extendedKeyUsage=critical,timeStamping\nbasicConstraints=CA:FALSE\n" >ext.cnf &&
	openssl x509 -req -in tsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
	    -extfile ext.cnf -out tsa.crt &&
	echo 01 >serial &&
	cat >tsa.cnf <<-CNF
	[ tsa ]
	default_tsa = tsa1
	[ tsa1 ]
	dir = .
	serial = ./serial
	signer_cert = ./tsa.crt
	certs = ./ca.crt
	signer_key = ./tsa.key
	signer_digest = sha256
	default_policy = 1.2.3.4.1
	digests = sha256
	accuracy = secs:1
	ess_cert_id_alg = sha256
	CNF
	) >/dev/null 2>&1
}

# The TSA in $1 answers the request $2 into $3.
tsa_reply() {
	(cd "$1" && openssl ts -reply -config tsa.cnf -queryfile "$2" -out "$3") 2>/dev/null
}

test_expect_success 'setup: a case with an artifact, and two TSAs' '
	make_tsa tsa1 && make_tsa tsa2 && test -s tsa1/tsa.crt &&
	custody init case --case-id TS-1 --key ada >/dev/null &&
	mkdir src && echo evidence >src/f &&
	custody collect --case case --key ada "$TEST_TMP/src" 2>/dev/null &&
	archive=$(archive_in case) && test -n "$archive"
'

test_expect_success 'timestamp request makes a SHA-256 query with a nonce and certReq' '
	a=$(archive_in case) &&
	custody timestamp request "$a" -o "$a.tsq" >/dev/null &&
	openssl ts -query -in "$a.tsq" -text >q &&
	test_grep "sha256" q && test_grep "Nonce: 0x" q && test_grep "Certificate required: yes" q &&
	test_must_fail --status=2 custody timestamp request "$a" -o "$a.tsq" 2>err
'

test_expect_success 'attach checks the response, keeps it beside the file and records it' '
	a=$(archive_in case) &&
	tsa_reply tsa1 "$TEST_TMP/$a.tsq" "$TEST_TMP/resp1.tsr" &&
	custody timestamp attach "$a" resp1.tsr --tsa-ca tsa1/ca.crt --case case --key ada >out &&
	test_grep "time-stamped" out && test_grep "Test TSA tsa1" out &&
	test_grep "recorded as event #3" out &&
	cmp resp1.tsr "$a.tsr" &&
	custody ledger log --case case | grep -q "E001 timestamped"
'

test_expect_success 'openssl ts -verify accepts the same files' '
	a=$(archive_in case) &&
	openssl ts -verify -data "$a" -in "$a.tsr" -CAfile tsa1/ca.crt 2>&1 | grep -q "Verification: OK"
'

test_expect_success 'timestamp verify: the file existed then; a changed file or another CA fails' '
	a=$(archive_in case) &&
	custody timestamp verify "$a" --tsa-ca tsa1/ca.crt >out && test_grep "verified:" out &&
	test_must_fail --status=1 custody timestamp verify "$a" --tsa-ca tsa2/ca.crt 2>err &&
	cp "$a" changed.tar.zst && echo x >>changed.tar.zst && cp "$a.tsr" changed.tar.zst.tsr &&
	test_must_fail --status=1 custody timestamp verify changed.tar.zst --tsa-ca tsa1/ca.crt
'

test_expect_success 'ledger verify --tsa-ca checks every stored token' '
	custody ledger verify --case case --tsa-ca tsa1/ca.crt >/dev/null &&
	test_must_fail --status=1 custody ledger verify --case case --tsa-ca tsa2/ca.crt >out &&
	test_grep "FAILED event #3: time-stamp of" out
'

test_expect_success 'a checkpoint can be time-stamped too' '
	custody ledger checkpoint --case case --key ada -o cp >/dev/null &&
	custody timestamp request cp -o cp.tsq >/dev/null &&
	tsa_reply tsa2 "$TEST_TMP/cp.tsq" "$TEST_TMP/cp-resp.tsr" &&
	custody timestamp attach cp cp-resp.tsr --tsa-ca tsa2/ca.crt >/dev/null &&
	custody timestamp verify cp --tsa-ca tsa2/ca.crt >/dev/null
'

test_expect_success 'a response to another request or for another file is refused' '
	echo one >f1 && echo two >f2 &&
	custody timestamp request f1 -o f1.tsq >/dev/null &&
	custody timestamp request f2 -o f2.tsq >/dev/null &&
	tsa_reply tsa1 "$TEST_TMP/f2.tsq" "$TEST_TMP/f2.resp" &&
	test_must_fail --status=2 custody timestamp attach f1 f2.resp 2>err &&
	! test -e f1.tsr &&
	cp f1.tsq f2-again.tsq && custody timestamp request f2 -o f2b.tsq >/dev/null &&
	test_must_fail --status=2 custody timestamp attach f2 f2.resp --request f2b.tsq 2>err &&
	test_grep "nonce" err && ! test -e f2.tsr
'

test_expect_success 'attach that cannot record in the case keeps nothing, so a retry works' '
	echo three >f3 && custody timestamp request f3 -o f3.tsq >/dev/null &&
	tsa_reply tsa1 "$TEST_TMP/f3.tsq" "$TEST_TMP/f3.resp" &&
	test_must_fail --status=2 custody timestamp attach f3 f3.resp --case case 2>err &&
	test_grep "key" err && ! test -e f3.tsr &&
	custody timestamp attach f3 f3.resp --case case --key ada >/dev/null && test -e f3.tsr
'

test_expect_success 'an unreadable CA file is an operational error: exit 2' '
	test_must_fail --status=2 custody timestamp verify f3 --tsa-ca no-such-ca.pem
'

test_expect_success 'garbage instead of a response: exit 2, nothing kept' '
	echo junk >junk.tsr &&
	test_must_fail --status=2 custody timestamp attach f1 junk.tsr 2>err &&
	! test -e f1.tsr
'

test_done
