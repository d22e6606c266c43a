#!/usr/bin/env bash
# The secured endpoint from the outside (--web.config.file): a self-signed
# certificate made now with `openssl req`, a real TLS handshake and scrape
# with `curl --cacert` on 127.0.0.1, basic authentication with a hash from
# `oom_exporter hash-password`, plain HTTP to the TLS port refused while the
# exporter stays up, client certificates, a certificate, password and client
# CA changed under the running exporter (reloads), and bad configs refused at
# start (exit 2, naming the file and the key).

BINARY=${1:?usage: web_config_test.sh path/to/oom_exporter}
cd "$(dirname "$0")/../.."
source tests/e2e/lib.sh

dir=$E2E_TMP/web
mkdir -p "$dir"

# A CA-less self-signed server certificate for 127.0.0.1, with TLS and a
# password in web.yml (paths relative to the config file's directory), and
# a client CA with one client certificate.
tls_auth_web_config "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-client-ca \
  -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=prometheus \
  -keyout "$dir/client.key" -out "$dir/client.csr" 2>/dev/null
openssl x509 -req -in "$dir/client.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
  -CAcreateserial -days 2 -out "$dir/client.crt" 2>/dev/null

check "hash-password prints a bcrypt hash" grep -Eq '^\$2b\$04\$[./A-Za-z0-9]{53}$' <<<"$WEB_HASH"

start_exporter "${FIXTURES[@]}" "--web.config.file=$dir/web.yml"
url=https://127.0.0.1:$PORT
curl_tls() { curl -s --max-time 10 --cacert "$dir/server.crt" "$@"; }

check "TLS handshake and scrape with the right password" \
  bash -c "$(declare -f curl_tls); dir='$dir'; curl_tls -u 'prometheus:correct horse' '$url/metrics' | grep -q '^oom_kernel_kills_total 1$'"
check "the log says tls=true basic_auth=true" \
  grep -q 'msg=listening .*tls=true basic_auth=true' "$EXPORTER_LOG"
check "no password: 401 with WWW-Authenticate" \
  bash -c "$(declare -f curl_tls); dir='$dir'; curl_tls -i '$url/metrics' | tr -d '\r' | grep -q '^WWW-Authenticate: Basic realm=\"oom_exporter\"'"
check "a wrong password: 401" \
  test "$(curl_tls -o /dev/null -w '%{http_code}' -u 'prometheus:wrong' "$url/metrics")" = 401
check "/healthz answers ok without a password (liveness checks have none)" \
  test "$(curl_tls "$url/healthz")" = ok
check "a certificate the client does not trust fails the handshake" \
  bash -c "! curl -s --max-time 10 '$url/healthz' >/dev/null"
plain=0
curl -s --max-time 10 -o "$dir/plain.out" "http://127.0.0.1:$PORT/metrics" || plain=$?
check "plain HTTP to the TLS port gets no answer (curl exit $plain)" \
  bash -c "[[ $plain -ne 0 && ! -s '$dir/plain.out' ]]"
check "the exporter is still up and serving over TLS afterwards" \
  test "$(curl_tls -u 'prometheus:correct horse' "$url/healthz")" = ok
check "TLS 1.2 and 1.3 both work" \
  bash -c "$(declare -f curl_tls); dir='$dir'; curl_tls --tlsv1.2 --tls-max 1.2 -u 'prometheus:correct horse' '$url/healthz' >/dev/null && curl_tls --tlsv1.3 -u 'prometheus:correct horse' '$url/healthz' >/dev/null"
check "TLS 1.1 is refused" \
  bash -c "! curl -s --max-time 10 --cacert '$dir/server.crt' --tlsv1.1 --tls-max 1.1 '$url/healthz' >/dev/null"
stop_exporter

# Client certificates: RequireAndVerifyClientCert with a CA file.
cat >"$dir/mtls.yml" <<YAML
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS13
YAML
start_exporter "${FIXTURES[@]}" "--web.config.file=$dir/mtls.yml"
url=https://127.0.0.1:$PORT
check "no client certificate: refused" \
  bash -c "! curl -s --max-time 10 --cacert '$dir/server.crt' '$url/healthz' | grep -q ok"
check "a client certificate from the CA: served" \
  test "$(curl_tls --cert "$dir/client.crt" --key "$dir/client.key" "$url/healthz")" = ok
check "a self-signed client certificate: refused" \
  bash -c "! curl -s --max-time 10 --cacert '$dir/server.crt' --cert '$dir/server.crt' --key '$dir/server.key' '$url/healthz' | grep -q ok"
stop_exporter

# Reloads: a renewed certificate and key, a new password and a client CA
# turned on are served without a restart; a broken config is refused and the
# one in force kept. Files are replaced by rename, as cert-manager and
# Kubernetes secrets do.
mkdir -p "$dir/reload"
cp "$dir/server.crt" "$dir/server.key" "$dir/web.yml" "$dir/reload/"
start_exporter "${FIXTURES[@]}" "--web.config.file=$dir/reload/web.yml"
url=https://127.0.0.1:$PORT
code() {  # code CA USER:PASSWORD [curl flags...]: the HTTP status of the
  # landing page (which, unlike /healthz, needs the password), 000 if none
  local ca=$1 credentials=$2
  shift 2
  curl -s --max-time 10 --cacert "$ca" -u "$credentials" -o /dev/null \
    -w '%{http_code}' "$@" "$url/" || true
}
check "before: the first certificate and password" \
  test "$(code "$dir/server.crt" 'prometheus:correct horse')" = 200
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$dir/reload/new.key" \
  -out "$dir/reload/new.crt" 2>/dev/null
cp "$dir/reload/new.crt" "$dir/new-ca.crt"
hash2=$(printf 'battery staple\n' | "$BINARY" hash-password --cost=4)
mv "$dir/reload/new.key" "$dir/reload/server.key"
mv "$dir/reload/new.crt" "$dir/reload/server.crt"
sed "s|prometheus: .*|prometheus: $hash2|" "$dir/reload/web.yml" >"$dir/reload/web.yml.new"
mv "$dir/reload/web.yml.new" "$dir/reload/web.yml"
sleep 1.2  # files are looked at again at most once a second
check "after: the renewed certificate is served" \
  test "$(code "$dir/new-ca.crt" 'prometheus:battery staple')" = 200
check "after: the old certificate is gone" \
  test "$(code "$dir/server.crt" 'prometheus:battery staple')" = 000
check "after: the old password is refused" \
  test "$(code "$dir/new-ca.crt" 'prometheus:correct horse')" = 401
check "the log says the web config was reloaded" \
  grep -q 'msg="web config reloaded"' "$EXPORTER_LOG"
# A client CA turned on: the next handshake asks for a client certificate.
sed -i "s|  key_file: server.key|  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: $dir/ca.crt|" "$dir/reload/web.yml"
sleep 1.2
check "client certificates turned on: one from the CA is served" \
  test "$(code "$dir/new-ca.crt" 'prometheus:battery staple' --cert "$dir/client.crt" --key "$dir/client.key")" = 200
check "client certificates turned on: none is refused" \
  test "$(code "$dir/new-ca.crt" 'prometheus:battery staple')" = 000
# Broken: a misspelt key. Refused, logged once, the config in force kept.
echo "  bogus_key: 1" >>"$dir/reload/web.yml"
sleep 1.2
for _ in 1 2 3; do code "$dir/new-ca.crt" 'prometheus:battery staple' >/dev/null; done
check "a broken config: one error line naming the key" \
  test "$(grep -c 'msg="web config changed but cannot be used; keeping the previous one".*bogus_key' "$EXPORTER_LOG")" = 1
check "a broken config: the one in force still serves" \
  test "$(code "$dir/new-ca.crt" 'prometheus:battery staple' --cert "$dir/client.crt" --key "$dir/client.key")" = 200
# TLS off needs a restart: refused the same way.
printf 'basic_auth_users:\n  prometheus: %s\n' "$hash2" >"$dir/reload/web.yml"
sleep 1.2
code "$dir/new-ca.crt" 'prometheus:battery staple' >/dev/null
check "turning TLS off is refused until a restart" \
  grep -q 'tls_server_config removed: turning TLS off needs a restart' "$EXPORTER_LOG"
check "and TLS is still served" \
  test "$(code "$dir/new-ca.crt" 'prometheus:battery staple' --cert "$dir/client.crt" --key "$dir/client.key")" = 200
stop_exporter

# Bad configs: exit 2 before listening, naming the file and the key; a key
# that does not match its certificate: exit 1 with OpenSSL's reason.
expect_start_error() {  # expect_start_error WANT_STATUS PATTERN YAML
  local want=$1 pattern=$2 got=0
  printf '%s\n' "$3" >"$dir/bad.yml"
  CHECKS=$((CHECKS + 1))
  timeout 10 "$BINARY" --web.listen-address=127.0.0.1:0 "${FIXTURES[@]}" \
    "--web.config.file=$dir/bad.yml" >"$dir/out.txt" 2>&1 || got=$?
  if [[ $got -eq $want ]] && grep -Eq -- "$pattern" "$dir/out.txt"; then
    pass "bad config -> $want: $pattern"
  else
    fail "bad config: exit $got (want $want), output: $(cat "$dir/out.txt")"
  fi
}
expect_start_error 2 "error: --web.config.file: $dir/bad.yml: line 3: tls_server_config: unknown key \"keyfile\"" \
  "tls_server_config:
  cert_file: server.crt
  keyfile: server.key"
expect_start_error 2 'the password of "p" is not a bcrypt hash' \
  "basic_auth_users:
  p: secret"
expect_start_error 1 'cannot set TLS up: tls_server_config.key_file .*client.key.*key values mismatch' \
  "tls_server_config:
  cert_file: server.crt
  key_file: client.key"
expect_start_error 1 'cannot set TLS up: tls_server_config.cert_file .*missing.crt.*No such file' \
  "tls_server_config:
  cert_file: missing.crt
  key_file: server.key"
CHECKS=$((CHECKS + 1))
got=0
timeout 10 "$BINARY" --web.config.file=/nonexistent/web.yml >"$dir/out.txt" 2>&1 || got=$?
if [[ $got -eq 2 ]] && grep -q 'web.config.file: /nonexistent/web.yml: No such file' "$dir/out.txt"; then
  pass "a missing config file -> 2"
else
  fail "missing config file: exit $got: $(cat "$dir/out.txt")"
fi

finish web_config_test "$CHECKS"
