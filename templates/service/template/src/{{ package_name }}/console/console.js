// Review console: vanilla JavaScript, no build step. Data is only ever inserted as text (textContent),
// never as HTML. The reviewer's key stays in sessionStorage (this tab) and is sent as a Bearer token.
"use strict";

const STORAGE_KEY = "reviewerKey";
const $ = (id) => document.getElementById(id);
let cases = [];
let current = null;

function say(message, isError) {
  $("status").textContent = message;
  $("status").className = isError ? "error" : "";
}

async function api(path, options) {
  const key = sessionStorage.getItem(STORAGE_KEY);
  if (!key) {
    throw new Error("enter a reviewer key first");
  }
  const headers = { Authorization: "Bearer " + key, "Content-Type": "application/json" };
  const response = await fetch(path, Object.assign({ headers: headers }, options));
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(response.status + ": " + (body.message || response.statusText));
  }
  return body;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
}

async function loadQueue() {
  try {
    cases = await api("/v1/reviews");
  } catch (error) {
    say(error.message, true);
    return;
  }
  const body = $("queue");
  body.replaceChildren();
  for (const item of cases) {
    const row = document.createElement("tr");
    cell(row, item.case_id);
    cell(row, item.reason);
    cell(row, String(item.decision.score));
    cell(row, item.queued_at);
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = "Open";
    open.dataset.case = item.case_id;
    open.addEventListener("click", () => show(item));
    const td = document.createElement("td");
    td.appendChild(open);
    row.appendChild(td);
    body.appendChild(row);
  }
  say(cases.length + " case(s) waiting", false);
}

function show(item) {
  current = item;
  const decision = item.decision;
  $("case-id").textContent = item.case_id;
  $("case-reason").textContent = item.reason;
  $("case-score").textContent = decision.score + " / " + decision.probability_of_default;
  $("case-model").textContent =
    decision.model.name + " " + decision.model.version + ", policy " + decision.policy.version;
  const reasons = $("reasons");
  reasons.replaceChildren();
  const explanation = decision.explanation;
  for (const reason of explanation ? explanation.reasons : []) {
    const li = document.createElement("li");
    li.textContent = reason.sentence + " (" + reason.feature + ": " + reason.contribution.toFixed(3) + ")";
    reasons.appendChild(li);
  }
  if (!explanation) {
    const li = document.createElement("li");
    li.textContent = "No explanation was recorded for this decision.";
    reasons.appendChild(li);
  }
  $("review-reason").value = "";
  $("detail").hidden = false;
}

async function submitReview(event) {
  event.preventDefault();
  const outcome = event.submitter ? event.submitter.value : "approve";
  const reason = $("review-reason").value.trim();
  if (!current || reason.length < 3) {
    say("write a reason (at least 3 characters)", true);
    return;
  }
  try {
    const path = "/v1/decisions/" + encodeURIComponent(current.case_id) + "/review";
    const result = await api(path, { method: "POST", body: JSON.stringify({ decision: outcome, reason: reason }) });
    $("detail").hidden = true;
    await loadQueue();
    say("recorded: " + result.body.decision + " of case " + current.case_id + " (audit record " + result.record_id + ")", false);
    current = null;
  } catch (error) {
    say(error.message, true);
  }
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(STORAGE_KEY, $("key").value.trim());
  $("key").value = "";
  loadQueue();
});
$("refresh").addEventListener("click", loadQueue);
$("review-form").addEventListener("submit", submitReview);
if (sessionStorage.getItem(STORAGE_KEY)) {
  loadQueue();
}
