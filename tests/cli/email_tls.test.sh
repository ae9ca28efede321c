#!/bin/sh
# briefos-email over TLS with SMTP AUTH against a real server on loopback
# (tests/cli/smtp_tls_server.py, aiosmtpd): STARTTLS (required by default
# once a user is set), implicit TLS (smtps://), the server certificate
# verified against a private CA given with --smtp-ca-file, the password read
# from BRIEFOS_SMTP_PASSWORD or --smtp-password-file (never argv), a wrong
# password or an untrusted certificate held back as a relay problem (exit 6,
# the email pending, no attempt used) rather than failed.
. "$(dirname "$0")/lib.sh"
need_db
command -v openssl >/dev/null || { echo "openssl missing (scripts/bootstrap installs it)" >&2; exit 1; }

py=/usr/bin/python3
email="$bin/briefos-email"
seed_sql="$src/tests/cli/email_seed.sql"
common="--base-url https://app.example.com --message-id-domain example.com"
q() { $PSQL "$1" -XAtqc "$2"; }
seed() { $PSQL "$1" -Xq -v ON_ERROR_STOP=1 -v prefix="$2" -v count="$3" -f "$seed_sql" >/dev/null; }

# A private CA and a server certificate for 127.0.0.1 signed by it; a second,
# unrelated CA for the refusal case.
ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
    -keyout "$tmp/$1.key" -out "$tmp/$1.pem" >/dev/null 2>&1
}
ca test-ca
ca other-ca
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$tmp/server.key" -out "$tmp/server.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' >"$tmp/san.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/test-ca.pem" -CAkey "$tmp/test-ca.key" \
  -CAcreateserial -days 2 -extfile "$tmp/san.ext" -out "$tmp/server.pem" >/dev/null 2>&1

export SMTP_TEST_USER=briefs
export SMTP_TEST_PASSWORD='tls-test-Pa55!word'
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; cleanup_dbs; rm -rf "$tmp"' EXIT

# start_server NAME MODE: start one; sets $port.
start_server() {
  mkfifo "$tmp/$1.fifo"
  $py "$src/tests/cli/smtp_tls_server.py" "$tmp/$1" "$tmp/server.pem" "$tmp/server.key" "$2" \
    >"$tmp/$1.fifo" 2>"$tmp/$1.log" &
  pids="$pids $!"
  read -r port <"$tmp/$1.fifo"
}
stored() { find "$tmp/$1" -name 'msg-*.eml' | wc -l | tr -d ' '; }

# --- 1. STARTTLS + AUTH, password from the environment ----------------------
start_server starttls starttls
starttls_port=$port
db=$(new_migrated_db tls1)
seed "$db" tls 2
BRIEFOS_SMTP_PASSWORD=$SMTP_TEST_PASSWORD expect_status 0 "STARTTLS with AUTH delivers" \
  "$email" --database-url "$db" --transport "smtp://briefs@127.0.0.1:$port" \
  --smtp-ca-file "$tmp/test-ca.pem" $common --drain --connections 1
check "two messages arrived over STARTTLS" test "$(stored starttls)" -eq 2
check "every message went over TLS" \
  "$py" -c 'import json,glob,sys; m=[json.load(open(f)) for f in glob.glob(sys.argv[1]+"/msg-*.json")]; sys.exit(not (m and all(x["tls"] for x in m)))' "$tmp/starttls"
check "every message was sent after AUTH as the configured user" \
  "$py" -c 'import json,glob,sys; m=[json.load(open(f)) for f in glob.glob(sys.argv[1]+"/msg-*.json")]; sys.exit(not (m and all(x["login"]=="briefs" for x in m)))' "$tmp/starttls"
check "both emails recorded as sent" test "$(q "$db" "SELECT count(*) FROM emails WHERE status = 'sent'")" -eq 2

# --- 2. implicit TLS (smtps://), password from a file -----------------------
start_server implicit implicit
db=$(new_migrated_db tls2)
seed "$db" imp 1
printf '%s\n' "$SMTP_TEST_PASSWORD" >"$tmp/pw"
chmod 600 "$tmp/pw"
expect_status 0 "smtps:// with --smtp-password-file delivers" \
  "$email" --database-url "$db" --transport "smtps://briefs@127.0.0.1:$port" \
  --smtp-ca-file "$tmp/test-ca.pem" --smtp-password-file "$tmp/pw" $common --drain
check "the message arrived over implicit TLS" test "$(stored implicit)" -eq 1
check "it was encrypted" grep -q '"tls": true' "$tmp/implicit/msg-1.json"

# --- 3. a wrong password: the relay's problem, nothing sent, secret not printed ---
db=$(new_migrated_db tls3)
seed "$db" bad 1
before=$(stored starttls)
BRIEFOS_SMTP_PASSWORD='wrong-Secret-42' expect_status 6 "a refused login stops the run with exit 6 (the relay is unusable)" \
  "$email" --database-url "$db" --transport "smtp://briefs@127.0.0.1:$starttls_port" \
  --smtp-ca-file "$tmp/test-ca.pem" $common --drain --max-relay-failures 1
cat "$tmp/out" "$tmp/err" >"$tmp/wrong.out"
check "the server refused a login" test "$(cat "$tmp/starttls/auth-failures")" -ge 1
check "nothing was delivered" test "$(stored starttls)" -eq "$before"
check "the email is pending again, for a retry" \
  test "$(q "$db" "SELECT status FROM emails")" = pending
check "the job waits, no attempt used" \
  test "$(q "$db" "SELECT status || ':' || attempts FROM queue_jobs WHERE job_type = 'generate_brief_email'")" = "pending:0"
check "the error names the login problem" grep -qi "BRIEFOS_SMTP_PASSWORD" "$tmp/wrong.out"
check "the wrong password is not printed" sh -c "! grep -q 'wrong-Secret-42' '$tmp/wrong.out'"
check "nor stored" test "$(q "$db" "SELECT count(*) FROM queue_jobs WHERE result::text LIKE '%wrong-Secret%' OR error_message LIKE '%wrong-Secret%'")" -eq 0

# --- 4. a certificate from a CA we do not trust is refused ------------------
db=$(new_migrated_db tls4)
seed "$db" ca 1
before=$(stored starttls)
BRIEFOS_SMTP_PASSWORD=$SMTP_TEST_PASSWORD expect_status 6 "an untrusted server certificate is refused (exit 6)" \
  "$email" --database-url "$db" --transport "smtp://briefs@127.0.0.1:$starttls_port" \
  --smtp-ca-file "$tmp/other-ca.pem" $common --drain --max-relay-failures 1
check "nothing was delivered to the untrusted server" test "$(stored starttls)" -eq "$before"
check "the error is about the certificate" grep -qiE "certificate|SSL|TLS" "$tmp/err"
check "the email is kept for a retry" test "$(q "$db" "SELECT status FROM emails")" = pending

# --- 5. a CA file that does not exist is a usage error ----------------------
expect_status 2 "a missing --smtp-ca-file is a usage error" \
  "$email" --database-url "$db" --transport "smtp://briefs@127.0.0.1:$starttls_port" \
  --smtp-ca-file "$tmp/nope.pem" $common --drain
check "the error names the option" grep -q -- "--smtp-ca-file" "$tmp/err"

finish
