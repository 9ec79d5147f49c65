#!/usr/bin/env bash
# The docs/api.md walkthrough as one script: a complete case through the onewindow API with curl,
# from the application with one material missing, through the one-time supplement notice,
# acceptance, review, decision, issue and express delivery, to closing and reading the case back.
#
# Run it against a server that holds the Ninghai demo catalogue, for example:
#
#   cargo build -p onewindow
#   ./target/debug/onewindow demo --data /tmp/walkthrough-data --addr 127.0.0.1:8080 --cases 0 &
#   bash -e docs/walkthrough.sh                          # base URL defaults to http://127.0.0.1:8080
#   bash -e docs/walkthrough.sh http://127.0.0.1:8091    # or pass it as $1
#
# Needs curl and jq. It files one new case each run (a fresh Idempotency-Key every time), so it
# can run again and again against the same server. Every step that must succeed reads the case
# version with `jq -e`, so the script stops at the first step the server refuses. The commands
# below are the ```bash blocks of docs/api.md, section "Walkthrough", in order; keep them in step.
set -euo pipefail
command -v curl >/dev/null || { echo "walkthrough: curl is required" >&2; exit 1; }
command -v jq >/dev/null || { echo "walkthrough: jq is required" >&2; exit 1; }

# --- 0. Where the server is ------------------------------------------------------------------
BASE=${1:-http://127.0.0.1:8080}
API=$BASE/api/v1
curl -s "$BASE/health"; echo

# --- 1. The calendar: 5 working days from 30 September 2026, across the National Day holiday --
curl -s "$API/calendar/deadline?start=2026-09-30&working_days=5" | jq -c .
# A year the calendar does not cover is an error, never a guess:
curl -s "$API/calendar/deadline?start=2027-03-01&working_days=2" | jq -c '{status, title, detail}'

# --- 2. Find the item: 食品经营许可（变更）, a change to a food business licence -----------------
ITEM=$(curl -s -G "$API/catalogue/items" --data-urlencode 'q=食品经营许可（变更）' \
  | jq -er '.items[0].code')
echo "$ITEM"
curl -s "$API/catalogue/items/$ITEM" \
  | jq '{code, version, name, department, promised_days, statutory_days, run_mode, visits_required,
         materials: [.materials[] | select(.required and .cancelled == null) | "\(.key) \(.name)"]}'

# --- 3. A bad identifier is refused and names the field and the character ---------------------
R=$(curl -s -X POST "$API/cases" \
  -H 'X-Actor: clerk-zhang' -H 'Content-Type: application/json' \
  -d '{"item_code": "'"$ITEM"'",
       "applicant": {"kind": "person", "name": "王芳", "id_number": "330226198506120025"},
       "channel": "window", "centre": "county-hall", "materials": ["M01"]}')
echo "$R" | jq '{status, title, errors}'
echo "$R" | jq -e '.status == 422 and .errors[0].field == "applicant.id_number"' >/dev/null  # check

# --- 4. File the application at the window, M04 missing, with an Idempotency-Key --------------
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
  -H 'X-Actor: clerk-zhang' -H 'Content-Type: application/json' \
  -H "Idempotency-Key: $KEY" -d "$APPLICATION")
echo "$R" | jq '{id, number, status, item_version, promised_days, required_materials,
                 provided_materials, received_on, version}'
ID=$(echo "$R" | jq -er .id)
NUMBER=$(echo "$R" | jq -er .number)
V=$(echo "$R" | jq -er .version)

# The network dropped the answer? Send the very same request again with the same key:
HEADERS=$(mktemp)
R2=$(curl -s -D "$HEADERS" -X POST "$API/cases" \
  -H 'X-Actor: clerk-zhang' -H 'Content-Type: application/json' \
  -H "Idempotency-Key: $KEY" -d "$APPLICATION")
grep -i -E '^(HTTP|etag|location|idempotent-replayed)' "$HEADERS" | tr -d '\r'
test "$(echo "$R2" | jq -r .id)" = "$ID"    # the same case, nothing new filed

# --- 5. The applicant came to the window once to hand in the papers: record the visit ---------
R=$(curl -s -X POST "$API/cases/$ID/record-visit" \
  -H 'X-Actor: clerk-zhang' -H "If-Match: \"$V\"" -H 'Content-Type: application/json' \
  -d '{"purpose": "窗口递交申请材料"}')
echo "$R" | jq -c '{status, visits, version}'
V=$(echo "$R" | jq -er .version)

# --- 6. The one-time supplement notice (一次性告知): everything missing, in one notice ---------
R=$(curl -s -X POST "$API/cases/$ID/request-supplement" \
  -H 'X-Actor: clerk-zhang' -H "If-Match: \"$V\"" -H 'Content-Type: application/json' \
  -d '{"missing": ["M04"], "note": "请补交经营场所使用证明原件，可邮寄或网上上传"}')
echo "$R" | jq '{status, supplement_notices, version}'
V=$(echo "$R" | jq -er .version)

# --- 7. A refused action: accepting while the notice is open -> 409 with allowed_actions -------
R=$(curl -s -X POST "$API/cases/$ID/accept" -H 'X-Actor: clerk-zhang' -H "If-Match: \"$V\"")
echo "$R" | jq '{status, title, detail, current_status, allowed_actions}'
echo "$R" | jq -e '.status == 409 and .current_status == "supplement_requested"' >/dev/null  # check

# A stale version -> 409 with current_version; no If-Match at all -> 428:
R=$(curl -s -X POST "$API/cases/$ID/accept" -H 'X-Actor: clerk-zhang' -H 'If-Match: "1"')
echo "$R" | jq -c '{status, title, current_version}'
echo "$R" | jq -e --argjson v "$V" '.status == 409 and .current_version == $v' >/dev/null  # check
R=$(curl -s -X POST "$API/cases/$ID/accept" -H 'X-Actor: clerk-zhang')
echo "$R" | jq -c '{status, title, errors}'
echo "$R" | jq -e '.status == 428' >/dev/null  # check

# --- 8. The applicant supplements M04 (posted, no second visit) ------------------------------
R=$(curl -s -X POST "$API/cases/$ID/provide-supplement" \
  -H 'X-Actor: applicant' -H "If-Match: \"$V\"" -H 'Content-Type: application/json' \
  -d '{"materials": ["M04"]}')
echo "$R" | jq -c '{status, provided_materials, version}'
V=$(echo "$R" | jq -er .version)

# --- 9. The clerk accepts: the promised clock starts the next working day ---------------------
R=$(curl -s -X POST "$API/cases/$ID/accept" -H 'X-Actor: clerk-zhang' -H "If-Match: \"$V\"")
echo "$R" | jq '{status, accepted_on, accepted_by, clock, version}'
V=$(echo "$R" | jq -er .version)

# --- 10. The reviewer of the department starts the review -------------------------------------
R=$(curl -s -X POST "$API/cases/$ID/start-review" -H 'X-Actor: reviewer-li' -H "If-Match: \"$V\"")
echo "$R" | jq -c '{status, version}'
V=$(echo "$R" | jq -er .version)

# Where the case stands on its clock (and the ETag is the version):
curl -s -D "$HEADERS" "$API/cases/$ID" \
  | jq '{status: .case.status, due_on, working_days_used, working_days_left, allowed_actions}'
grep -i '^etag' "$HEADERS" | tr -d '\r'

# --- 11. The decision: the clerk who accepted may not decide (受审分离) ------------------------
R=$(curl -s -X POST "$API/cases/$ID/decide" \
  -H 'X-Actor: clerk-zhang' -H "If-Match: \"$V\"" -H 'Content-Type: application/json' \
  -d '{"approve": true}')
echo "$R" | jq -c '{status, errors}'
echo "$R" | jq -e '.status == 422 and .errors[0].field == "actor"' >/dev/null  # check
# The department's approver decides:
R=$(curl -s -X POST "$API/cases/$ID/decide" \
  -H 'X-Actor: approver-wang' -H "If-Match: \"$V\"" -H 'Content-Type: application/json' \
  -d '{"approve": true, "reason": "符合《食品经营许可管理办法》变更条件"}')
echo "$R" | jq '{status, decision, version}'
V=$(echo "$R" | jq -er .version)

# --- 12. Issue the licence (the number is generated when not given) ---------------------------
R=$(curl -s -X POST "$API/cases/$ID/issue-result" -H 'X-Actor: clerk-zhang' -H "If-Match: \"$V\"")
echo "$R" | jq -c '{status, result_document, version}'
V=$(echo "$R" | jq -er .version)

# --- 13. Send it by express --------------------------------------------------------------------
R=$(curl -s -X POST "$API/cases/$ID/deliver" \
  -H 'X-Actor: clerk-zhang' -H "If-Match: \"$V\"" -H 'Content-Type: application/json' \
  -d '{"delivery": {"method": "express", "address": "宁海县跃龙街道兴宁中路1号",
                    "tracking_number": "SF1402262026"}}')
echo "$R" | jq -c '{status, delivery, version}'
V=$(echo "$R" | jq -er .version)

# --- 14. Close the case ------------------------------------------------------------------------
R=$(curl -s -X POST "$API/cases/$ID/close" -H 'X-Actor: clerk-zhang' -H "If-Match: \"$V\"")
echo "$R" | jq -c '{status, closed_on, version}'
V=$(echo "$R" | jq -er .version)

# --- 15. Read the whole case, by its receipt number -------------------------------------------
curl -s "$API/cases/$NUMBER" | jq '{
  number: .case.number, status: .case.status, accepted_on: .case.accepted_on,
  due_on_at_acceptance: (.history[] | select(.event.type == "accepted") | .event.due_on),
  due_on, working_days_left, visit_count, at_most_once, allowed_actions,
  history: [.history[] | "\(.seq) \(.actor) \(.event.type)"]}'

# --- 16. Find it again in the list: filters and a cursor, never a total -----------------------
curl -s "$API/cases?item=$ITEM&status=closed&limit=1" \
  | jq -c '{numbers: [.items[].number], next_cursor}'
rm -f "$HEADERS"
