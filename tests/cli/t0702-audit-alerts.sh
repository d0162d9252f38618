#!/bin/sh
# t0702-audit-alerts: a failed audit POSTs its JSON summary to a webhook
# (a local libmicrohttpd receiver built here) and mails it through
# sendmail; a webhook that is down or failing does not change the audit's
# outcome, and every attempt is recorded.
. "$TOP/tests/cli/lib.sh"
. "$TOP/tests/cli/audit-fixture.sh"

if ! cc -o hook "$TOP/tests/cli/audit-webhook.c" $(pkg-config --cflags --libs libmicrohttpd) 2>cc.err; then
	not_ok "build the test webhook receiver" "$(cat cc.err)"
	finish
fi
# start_hook STATUS: starts the receiver; sets $hook_pid and $url.
start_hook() {
	rm -f port bodies
	./hook port bodies "$1" &
	hook_pid=$!
	i=0
	while [ ! -s port ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	url="http://127.0.0.1:$(cat port)/hooks/vellum"
}
stop_hook() { kill "$hook_pid" 2>/dev/null; wait "$hook_pid" 2>/dev/null; }
trap 'stop_hook; rm -rf "$T"' EXIT
q() { sqlite3 repo/catalog.db "$1"; }
due() { q "UPDATE objects SET last_audit = NULL"; }

run init repo
audit_plant repo ob-1
audit_plant repo ob-2
start_hook 200
run -r repo audit --notify "$url"
expect_rc "a clean audit" 0
[ -e bodies ] && not_ok "a clean audit sends nothing" || ok "a clean audit sends nothing"

echo tampered >>"$(audit_dir repo ob-2)/data/a.txt"
due
run -r repo audit --notify "$url" --json
expect_rc "a failed audit exits 1" 1
expect_json "the alert was delivered" '.notifications[0].ok' true
check "the webhook got one POST" test "$(grep -c '^POST ' bodies)" -eq 1
sed 's/^POST //' bodies >body.json
v=$(jq -r '"\(.failed_objects) \(.failures[0].object) \(.failures[0].outcome)"' body.json)
[ "$v" = "1 ob-2 altered" ] && ok "the POST is the JSON summary" || not_ok "POST body" "got '$v'"
same() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', expected '$3'"; fi; }
same "the delivery is recorded" "$(q "SELECT channel || ' ' || outcome FROM audit_notices")" "webhook sent"
stop_hook

# The webhook is down: the audit completes, warns, records the failure.
due
run -r repo audit --notify "$url" --json
expect_rc "with the webhook down the audit still reports its failure" 1
expect_json "the alert is marked undelivered" '.notifications[0].ok' false
expect_json "the audit itself completed" .objects 2
expect_err "a warning names the problem" "warning: alert not delivered: cannot POST to '$url'"
same "the failed delivery is recorded" "$(q "SELECT outcome FROM audit_notices ORDER BY rowid DESC LIMIT 1")" failed
run -r repo audit report
expect_out "the report lists the undelivered alert" "^Alert not delivered: audit [0-9]+, webhook to $url"

# A webhook answering 500 is retried (3 attempts), then recorded.
start_hook 500
due
run -r repo audit --notify "$url"
expect_rc "a 500 answer leaves the exit status alone" 1
same "three attempts" "$(grep -c '^POST ' bodies)" 3
expect_err "the warning gives the status" "answered HTTP 500 \\(after 3 attempts\\)"
expect_out "the summary says the alert was not delivered" "^alert NOT delivered \\(recorded\\): webhook to $url: .*HTTP 500"
stop_hook

# The configuration key, and --no-notify.
start_hook 200
echo "notify_url = $url" >>repo/vellum.conf
due
run -r repo audit
same "notify_url in vellum.conf is used" "$(grep -c '^POST ' bodies)" 1
due
run -r repo audit --no-notify
same "--no-notify sends nothing" "$(grep -c '^POST ' bodies)" 1
stop_hook
sed -i '/^notify_url/d' repo/vellum.conf
run -r repo audit --notify "ftp://127.0.0.1/x" --json
expect_json "a non-http URL is refused, recorded" '.notifications[0].message | test("not an http")' true

# Mail through sendmail: a stand-in records its arguments and input.
cat >sendmail <<EOS
#!/bin/sh
printf '%s\n' "\$@" >"$T/mail.args"
cat >"$T/mail.txt"
EOS
chmod +x sendmail
due
VELLUM_SENDMAIL=$T/sendmail run -r repo audit --mail-to "curator@example.org, ops@example.org" --json
expect_json "the mail was handed over" '.notifications[0].ok' true
same "sendmail gets the addresses as arguments after --" "$(tr '\n' ' ' <mail.args)" "-oi -- curator@example.org ops@example.org "
check "the mail has a To header" grep -q '^To: curator@example.org, ops@example.org$' mail.txt
check "and a subject naming the failure" grep -q '^Subject: \[vellum\] fixity audit [0-9]* of Vellum repository: 1 object failed$' mail.txt
check "and the summary" grep -q 'altered *data/a.txt' mail.txt
due
VELLUM_SENDMAIL=$T/sendmail run -r repo audit --mail-to "-oQ/tmp/x@example.org" --json
expect_json "an address that looks like an option is refused" '.notifications[0].message | test("bad or too many mail addresses")' true
due
VELLUM_SENDMAIL=$T/nowhere run -r repo audit --mail-to curator@example.org --json
expect_json "no sendmail: recorded as undelivered" '.notifications[0].message | test("no sendmail found")' true
expect_rc "and the audit still reports its failure" 1
run -r repo doctor
expect_rc "doctor passes" 0
finish
