#!/usr/bin/env bash
# The docs/api.md walkthrough as one script: a complete case through the onewindow API with curl,
# from logging in, through the application with one material missing, the one-time supplement
# notice, acceptance, review, decision, issue and express delivery, to closing and reading the
# case back; then what each account may see: the citizen only their own cases, identity numbers
# masked, and the supervisor the case's records in the audit trail.
#
# Run it against a server that holds the Ninghai demo catalogue and the demo accounts, e.g.:
#
#   cargo build -p onewindow
#   ./target/debug/onewindow demo --data /tmp/walkthrough-data --addr 127.0.0.1:8080 --cases 0 &
#   bash -e docs/walkthrough.sh                          # base URL defaults to http://127.0.0.1:8080
#   bash -e docs/walkthrough.sh http://127.0.0.1:8091    # or pass it as $1
#
# The demo accounts and their passwords are the ones `onewindow demo` prints (DEMO ONLY: they are
# public). Needs curl and jq. It files new cases each run (a fresh Idempotency-Key every time), so
# it can run again and again against the same server. Every step that must succeed reads the case
# version with `jq -e`, and every refusal it shows is checked with `jq -e`, so the script stops at
# the first answer that is not the documented one. The commands below are the ```bash blocks of
# docs/api.md, section "Walkthrough", in order; keep them in step.
set -euo pipefail
command -v curl >/dev/null || { echo "walkthrough: curl is required" >&2; exit 1; }
command -v jq >/dev/null || { echo "walkthrough: jq is required" >&2; exit 1; }

# --- 0. Where the server is ------------------------------------------------------------------
BASE=${1:-http://127.0.0.1:8080}
API=$BASE/api/v1
curl -s "$BASE/health"; echo

# --- 1. Logging in: no token, no case ----------------------------------------------------------
# Without a session cookie or a bearer token every case endpoint answers 401:
R=$(curl -s "$API/cases")
echo "$R" | jq -c '{status, title, detail}'
echo "$R" | jq -e '.status == 401' >/dev/null  # check

# A wrong password is refused without saying which of the two was wrong:
R=$(curl -s -X POST "$API/auth/login" -H 'Content-Type: application/json' \
  -d '{"username": "clerk", "password": "not-the-password"}')
echo "$R" | jq -c '{status, title, detail}'
echo "$R" | jq -e '.status == 401' >/dev/null  # check

# Log in as each demo account the walkthrough needs; the answer's `token` is the bearer token
# (pages get the same secret as the session cookie, plus a csrf_token for their changes).
login() {
  curl -s -X POST "$API/auth/login" -H 'Content-Type: application/json' \
    -d "$(jq -nc --arg u "$1" --arg p "$2" '{username: $u, password: $p}')" | jq -er .token
}
CLERK=$(login clerk chuangkou-2026)           # 综合窗口 at county-hall, may reveal personal data
REVIEWER=$(login reviewer shencha-2026)       # 审查 of SCJGJ (市场监管局)
APPROVER=$(login approver shenpi-2026)        # 审批 of SCJGJ
CITIZEN=$(login citizen shimin-2026)          # an applicant account: 林晓梅 and her identity number
SUPERVISOR=$(login supervisor jiancha-2026)   # 效能监察: reads everything, searches the audit trail
curl -s "$API/auth/me" -H "Authorization: Bearer $CLERK" \
  | jq -c '{username, display_name, posts, roles, may_reveal_personal_data}'
curl -s "$API/auth/me" -H "Authorization: Bearer $CLERK" | jq -e '.username == "clerk"' >/dev/null  # check

# --- 2. The calendar: 5 working days from 30 September 2026, across the National Day holiday --
curl -s "$API/calendar/deadline?start=2026-09-30&working_days=5" | jq -c .
# The year after the last holiday notice (2027) is counted on the statutory holidays and marked
# provisional; a year beyond it is an error, never a guess:
curl -s "$API/calendar/deadline?start=2026-12-31&working_days=1" | jq -c .
curl -s "$API/calendar/deadline?start=2026-12-31&working_days=1" | jq -e '.provisional' >/dev/null  # check
curl -s "$API/calendar/deadline?start=2028-03-01&working_days=2" | jq -c '{status, title, detail}'

# --- 3. Find the item: 食品经营许可（变更）, a change to a food business licence (SCJGJ) ---------
ITEM=$(curl -s -G "$API/catalogue/items" --data-urlencode 'q=食品经营许可（变更）' \
  | jq -er '.items[0].code')
echo "$ITEM"
curl -s "$API/catalogue/items/$ITEM" \
  | jq '{code, version, name, department, promised_days, statutory_days, run_mode, visits_required,
         materials: [.materials[] | select(.required and .cancelled == null) | "\(.key) \(.name)"]}'
curl -s "$API/catalogue/items/$ITEM" | jq -e '.department == "SCJGJ"' >/dev/null  # check

# --- 4. A bad identifier is refused and names the field and the character ---------------------
R=$(curl -s -X POST "$API/cases" \
  -H "Authorization: Bearer $CLERK" -H 'Content-Type: application/json' \
  -d '{"item_code": "'"$ITEM"'",
       "applicant": {"kind": "person", "name": "王芳", "id_number": "330226198506120025"},
       "channel": "window", "centre": "county-hall", "materials": ["M01"]}')
echo "$R" | jq '{status, title, errors}'
echo "$R" | jq -e '.status == 422 and .errors[0].field == "applicant.id_number"' >/dev/null  # check

# --- 5. File the application at the window, M04 missing, with an Idempotency-Key --------------
KEY="walkthrough-$(date +%s)-$$"
APPLICATION='{
  "item_code": "'"$ITEM"'",
  "applicant": {"kind": "enterprise", "name": "宁海县跃龙小吃店有限公司",
                "id_number": "91330226MA2H7K3LXE", "phone": "13805740000"},
  "channel": "window",
  "centre": "county-hall",
  "materials": ["M01", "M02", "M03"]
}'
R=$(curl -s -X POST "$API/cases" \
  -H "Authorization: Bearer $CLERK" -H 'Content-Type: application/json' \
  -H "Idempotency-Key: $KEY" -d "$APPLICATION")
echo "$R" | jq '{id, number, status, item_version, promised_days, required_materials,
                 provided_materials, received_on, applicant, version}'
ID=$(echo "$R" | jq -er .id)
NUMBER=$(echo "$R" | jq -er .number)
V=$(echo "$R" | jq -er .version)
# The credit code and the phone number come back masked, even to the clerk who typed them:
echo "$R" | jq -e '.applicant.id_number == "9133**********3LXE"
                   and .applicant.phone == "138****0000"' >/dev/null  # check

# The network dropped the answer? Send the very same request again with the same key:
HEADERS=$(mktemp)
R2=$(curl -s -D "$HEADERS" -X POST "$API/cases" \
  -H "Authorization: Bearer $CLERK" -H 'Content-Type: application/json' \
  -H "Idempotency-Key: $KEY" -d "$APPLICATION")
grep -i -E '^(HTTP|etag|location|idempotent-replayed)' "$HEADERS" | tr -d '\r'
test "$(echo "$R2" | jq -r .id)" = "$ID"    # the same case, nothing new filed

# --- 6. The applicant came to the window once to hand in the papers: record the visit ---------
R=$(curl -s -X POST "$API/cases/$ID/record-visit" \
  -H "Authorization: Bearer $CLERK" -H "If-Match: \"$V\"" -H 'Content-Type: application/json' \
  -d '{"purpose": "窗口递交申请材料", "exception": "offline_day"}')
echo "$R" | jq -c '{status, visits, version}'
V=$(echo "$R" | jq -er .version)

# --- 7. The one-time supplement notice (一次性告知): everything missing, in one notice ---------
R=$(curl -s -X POST "$API/cases/$ID/request-supplement" \
  -H "Authorization: Bearer $CLERK" -H "If-Match: \"$V\"" -H 'Content-Type: application/json' \
  -d '{"missing": ["M04"], "note": "请补交经营场所使用证明原件，可邮寄或网上上传"}')
echo "$R" | jq '{status, supplement_notices, version}'
V=$(echo "$R" | jq -er .version)

# --- 8. A refused action: accepting while the notice is open -> 409 with allowed_actions -------
R=$(curl -s -X POST "$API/cases/$ID/accept" -H "Authorization: Bearer $CLERK" -H "If-Match: \"$V\"")
echo "$R" | jq '{status, title, detail, current_status, allowed_actions}'
echo "$R" | jq -e '.status == 409 and .current_status == "supplement_requested"' >/dev/null  # check

# A stale version -> 409 with current_version; no If-Match at all -> 428:
R=$(curl -s -X POST "$API/cases/$ID/accept" -H "Authorization: Bearer $CLERK" -H 'If-Match: "1"')
echo "$R" | jq -c '{status, title, current_version}'
echo "$R" | jq -e --argjson v "$V" '.status == 409 and .current_version == $v' >/dev/null  # check
R=$(curl -s -X POST "$API/cases/$ID/accept" -H "Authorization: Bearer $CLERK")
echo "$R" | jq -c '{status, title, errors}'
echo "$R" | jq -e '.status == 428' >/dev/null  # check

# --- 9. The missing paper arrives by post (no second visit): the window records it ------------
R=$(curl -s -X POST "$API/cases/$ID/provide-supplement" \
  -H "Authorization: Bearer $CLERK" -H "If-Match: \"$V\"" -H 'Content-Type: application/json' \
  -d '{"materials": ["M04"]}')
echo "$R" | jq -c '{status, provided_materials, version}'
V=$(echo "$R" | jq -er .version)

# --- 10. The clerk accepts: the promised clock starts the next working day --------------------
R=$(curl -s -X POST "$API/cases/$ID/accept" -H "Authorization: Bearer $CLERK" -H "If-Match: \"$V\"")
echo "$R" | jq '{status, accepted_on, accepted_by, clock, version}'
V=$(echo "$R" | jq -er .version)

# --- 11. The reviewer of the department (SCJGJ) starts the review -----------------------------
R=$(curl -s -X POST "$API/cases/$ID/start-review" -H "Authorization: Bearer $REVIEWER" -H "If-Match: \"$V\"")
echo "$R" | jq -c '{status, version}'
V=$(echo "$R" | jq -er .version)

# Where the case stands on its clock (and the ETag is the version); the reviewer sees the
# applicant's identity masked too:
curl -s -D "$HEADERS" "$API/cases/$ID" -H "Authorization: Bearer $REVIEWER" \
  | jq '{status: .case.status, applicant: .case.applicant.id_number, due_on, working_days_used,
         working_days_left, allowed_actions}'
grep -i '^etag' "$HEADERS" | tr -d '\r'
curl -s "$API/cases/$ID" -H "Authorization: Bearer $REVIEWER" \
  | jq -e '.case.applicant.id_number == "9133**********3LXE"' >/dev/null  # check

# --- 12. The decision: the clerk who accepted may not decide (受审分离) ------------------------
R=$(curl -s -X POST "$API/cases/$ID/decide" \
  -H "Authorization: Bearer $CLERK" -H "If-Match: \"$V\"" -H 'Content-Type: application/json' \
  -d '{"approve": true}')
echo "$R" | jq -c '{status, title, detail}'
echo "$R" | jq -e '.status == 403' >/dev/null  # check
# The reviewer writes the review opinion and proposes the decision (审查意见, 报批); the approver
# decides on it, and could not before it:
R=$(curl -s -X POST "$API/cases/$ID/propose" \
  -H "Authorization: Bearer $REVIEWER" -H "If-Match: \"$V\"" -H 'Content-Type: application/json' \
  -d '{"approve": true, "opinion": "经审查，变更事项符合规定，拟准予变更"}')
echo "$R" | jq -c '{status, proposal}'
echo "$R" | jq -e '.proposal.approve == true' >/dev/null  # check
V=$(echo "$R" | jq -er .version)
# The department's approver decides:
R=$(curl -s -X POST "$API/cases/$ID/decide" \
  -H "Authorization: Bearer $APPROVER" -H "If-Match: \"$V\"" -H 'Content-Type: application/json' \
  -d '{"approve": true, "reason": "符合《食品经营许可管理办法》变更条件"}')
echo "$R" | jq '{status, decision, version}'
V=$(echo "$R" | jq -er .version)

# --- 13. The department issues the licence (the number is generated when not given) ----------
R=$(curl -s -X POST "$API/cases/$ID/issue-result" -H "Authorization: Bearer $REVIEWER" -H "If-Match: \"$V\"")
echo "$R" | jq -c '{status, result_document, version}'
V=$(echo "$R" | jq -er .version)

# --- 14. The window sends it by express --------------------------------------------------------
# The company signed the delivery agreement at the counter; the window records the address:
R=$(curl -s -X PUT "$API/cases/$ID/delivery" \
  -H "Authorization: Bearer $CLERK" -H 'Content-Type: application/json' \
  -d '{"method": "express", "agreement": "2026-12",
       "recipient": {"name": "王强", "phone": "13905740000", "address": "宁海县跃龙街道兴宁中路1号"}}')
echo "$R" | jq -c '{choice: .delivery.choice.method, agreement}'
echo "$R" | jq -e '.delivery.choice.method == "express"' >/dev/null  # check
# It posts the licence with the courier's waybill (postage paid by the department):
WAYBILL="EM$NUMBER"
R=$(curl -s -X POST "$API/cases/$ID/parcels" \
  -H "Authorization: Bearer $CLERK" -H 'Content-Type: application/json' \
  -d "$(jq -nc --arg w "$WAYBILL" '{courier: "ems", waybill: $w}')")
echo "$R" | jq -c '.delivery.parcels[-1] | {waybill, courier, payer, state}'
echo "$R" | jq -e '.delivery.parcels[-1].state == "in_transit"' >/dev/null  # check
# The courier reports the signature (here typed in by the window; a courier with a webhook posts
# it to /couriers/ems/reports, signed), and the case is delivered:
R=$(curl -s -X POST "$API/cases/$ID/parcels/$WAYBILL/reports" \
  -H "Authorization: Bearer $CLERK" -H 'Content-Type: application/json' \
  -d '{"state": "signed", "signed_by": "王强"}')
echo "$R" | jq -e '.delivery.parcels[-1].state == "signed"' >/dev/null  # check
R=$(curl -s "$API/cases/$ID" -H "Authorization: Bearer $CLERK")
echo "$R" | jq -c '{status: .case.status, delivery: .case.delivery, version: .case.version}'
echo "$R" | jq -e '.case.status == "delivered" and .case.delivery.method == "express"' >/dev/null  # check
V=$(echo "$R" | jq -er .case.version)

# --- 15. Close the case ------------------------------------------------------------------------
R=$(curl -s -X POST "$API/cases/$ID/close" -H "Authorization: Bearer $CLERK" -H "If-Match: \"$V\"")
echo "$R" | jq -c '{status, closed_on, version}'
V=$(echo "$R" | jq -er .version)

# --- 16. Read the whole case, by its receipt number -------------------------------------------
R=$(curl -s "$API/cases/$NUMBER" -H "Authorization: Bearer $CLERK")
echo "$R" | jq '{
  number: .case.number, status: .case.status, accepted_on: .case.accepted_on,
  due_on_at_acceptance: (.history[] | select(.event.type == "accepted") | .event.due_on),
  due_on, working_days_left, visit_count, at_most_once, allowed_actions,
  history: [.history[] | "\(.seq) \(.actor) \(.event.type)"]}'
echo "$R" | jq -e '.case.status == "closed" and ([.history[].actor] | unique) == ["approver", "clerk", "reviewer"]' >/dev/null  # check

# --- 17. Find it again in the list: filters and a cursor, never a total -----------------------
R=$(curl -s "$API/cases?item=$ITEM&status=closed&limit=1" -H "Authorization: Bearer $CLERK")
echo "$R" | jq -c '{numbers: [.items[].number], next_cursor}'
echo "$R" | jq -e --arg n "$NUMBER" '.items[0].number == $n' >/dev/null  # check

# --- 18. Identity numbers in full: a separate permission, and every showing is audited --------
# The clerk holds the personal-data permission:
R=$(curl -s "$API/cases/$ID/personal-data" -H "Authorization: Bearer $CLERK")
echo "$R" | jq -c '{name, id_number, phone}'
echo "$R" | jq -e '.id_number == "91330226MA2H7K3LXE"' >/dev/null  # check
# The reviewer does not:
R=$(curl -s "$API/cases/$ID/personal-data" -H "Authorization: Bearer $REVIEWER")
echo "$R" | jq -c '{status, title, detail}'
echo "$R" | jq -e '.status == 403' >/dev/null  # check

# --- 19. The citizen sees only their own cases --------------------------------------------------
# 林晓梅 applies online for herself (an applicant files only under her account's identity):
R=$(curl -s -X POST "$API/cases" \
  -H "Authorization: Bearer $CITIZEN" -H 'Content-Type: application/json' \
  -H "Idempotency-Key: $KEY-citizen" \
  -d '{"item_code": "'"$ITEM"'",
       "applicant": {"kind": "person", "name": "林晓梅", "id_number": "330226198806150022"},
       "channel": "online", "centre": "county-hall", "materials": ["M01", "M02", "M03", "M04"]}')
echo "$R" | jq -c '{number, status, applicant: .applicant.id_number, version}'
MINE=$(echo "$R" | jq -er .number)
# Her list holds her applications and nothing else; the enterprise's case is not even there:
R=$(curl -s "$API/cases?limit=200" -H "Authorization: Bearer $CITIZEN")
echo "$R" | jq -c '{numbers: [.items[].number], identities: ([.items[].applicant.id_number] | unique)}'
echo "$R" | jq -e --arg mine "$MINE" --arg theirs "$NUMBER" '
  ([.items[].number] | index($mine) != null) and ([.items[].number] | index($theirs) == null)
  and all(.items[]; .applicant.id_number == "3302**********0022")' >/dev/null  # check
# Asking for it by number answers 404, as for a case that does not exist:
R=$(curl -s "$API/cases/$NUMBER" -H "Authorization: Bearer $CITIZEN")
echo "$R" | jq -c '{status, title}'
echo "$R" | jq -e '.status == 404' >/dev/null  # check
# The clerk's window sees both:
R=$(curl -s "$API/cases?limit=200" -H "Authorization: Bearer $CLERK")
echo "$R" | jq -e --arg mine "$MINE" --arg theirs "$NUMBER" '
  ([.items[].number] | index($mine) != null) and ([.items[].number] | index($theirs) != null)' >/dev/null  # check

# --- 20. The supervisor searches the audit trail for the case -----------------------------------
# Every change, every refusal (the clerk's attempt to decide) and every showing of the identity
# number in full, oldest first:
R=$(curl -s -G "$API/audit" --data-urlencode "target=case:$NUMBER" -H "Authorization: Bearer $SUPERVISOR")
echo "$R" | jq -r '.items | reverse | .[] | "\(.seq) \(.at) \(.actor) [\(.role)] \(.action) \(.outcome) \(.detail)"'
echo "$R" | jq -e '[.items[].action] as $a
  | all(["case.submit", "case.record-visit", "case.request-supplement", "case.provide-supplement",
         "case.accept", "case.start-review", "case.propose", "case.decide", "case.issue-result", "case.deliver",
         "case.close", "case.reveal_personal_data"][]; . as $x | $a | index($x) != null)
  and ([.items[] | select(.action == "case.decide") | "\(.actor) \(.outcome)"]
       == ["approver success", "clerk denied"])
  and ([.items[] | select(.action == "case.reveal_personal_data") | "\(.actor) \(.outcome)"]
       | index("clerk success") != null)' >/dev/null  # check
# Only supervisors read the trail:
R=$(curl -s "$API/audit" -H "Authorization: Bearer $CITIZEN")
echo "$R" | jq -c '{status, title, detail}'
echo "$R" | jq -e '.status == 403' >/dev/null  # check
rm -f "$HEADERS"
