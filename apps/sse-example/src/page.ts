/**
 * The example's page: plain DOM and `EventSource`, no build step. `EventSource` reconnects by itself
 * after a dropped connection and sends the last seq it saw as `Last-Event-ID`, so the page misses
 * nothing; it closes the stream at the run's `end` (else the browser would reconnect for ever).
 */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Loom over Server-Sent Events</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; color: #1d232b; }
  h1 { font-size: 1.3rem; }
  form, .bar { display: flex; gap: .5rem; align-items: center; margin-bottom: 1rem; }
  input[type=text] { flex: 1; padding: .45rem .6rem; font: inherit; }
  button { font: inherit; padding: .4rem .9rem; cursor: pointer; }
  #status { font-size: .85rem; padding: .15rem .5rem; border-radius: 1rem; background: #e8ecf1; }
  #status.live { background: #d8f3df; } #status.lost { background: #fde2c8; }
  #answer { white-space: pre-wrap; min-height: 1.5rem; padding: .6rem .8rem; border-left: 3px solid #4a78c2; background: #f4f7fb; }
  #pending .call { border: 1px solid #e0b44c; background: #fff8e6; padding: .5rem .8rem; margin: .5rem 0; }
  ol#events { font: 12.5px/1.5 ui-monospace, monospace; color: #44505e; padding-left: 3.2rem; max-height: 22rem; overflow: auto; }
</style>
</head>
<body>
<h1>Loom over Server-Sent Events</h1>
<form id="start"><input id="task" type="text" value="Tidy up the reports folder" aria-label="Task"><button>Run</button></form>
<div class="bar"><span id="status">idle</span><span id="thread"></span><button id="stop" type="button" disabled>Stop the run</button></div>
<div id="answer" aria-live="polite"></div>
<div id="pending"></div>
<ol id="events" start="0"></ol>
<script type="module">
const token = new URLSearchParams(location.search).get("token") ?? "";
const api = (path) => "/api" + path;
const $ = (id) => document.getElementById(id);
let threadId = location.hash.slice(1) || "";
let source;
let lastSeq = -1;
const live = new Map();

function setStatus(text, kind) { $("status").textContent = text; $("status").className = kind ?? ""; }
async function post(path, body) {
  const response = await fetch(api(path), { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer " + token }, body: JSON.stringify(body) });
  const json = await response.json();
  if (!response.ok) throw new Error(json.error?.message ?? response.statusText);
  return json;
}
function renderLive() { $("answer").textContent = [...live.values()].map((p) => p.text).join(""); }
function summary(event) {
  const d = event.data;
  if (event.type === "tool.started") return d.name + " " + JSON.stringify(d.args);
  if (event.type === "tool.completed") return d.name + " → " + d.content;
  if (event.type === "llm.completed") return (d.message?.content ?? "").slice(0, 80);
  if (event.type === "run.completed") return d.text.slice(0, 80);
  if (event.type === "run.cancelled") return d.reason;
  return "";
}
function follow() {
  source?.close();
  // Reopened after an end (a resume): pick up after the last seq seen; EventSource's own
  // reconnects send Last-Event-ID by themselves.
  source = new EventSource(api("/threads/" + encodeURIComponent(threadId) + "/events?token=" + encodeURIComponent(token) + "&fromSeq=" + (lastSeq + 1)));
  source.onopen = () => setStatus("live", "live");
  source.onerror = () => setStatus("reconnecting…", "lost");
  source.addEventListener("event", (message) => {
    const event = JSON.parse(message.data);
    if (event.seq <= lastSeq) return;
    lastSeq = event.seq;
    const item = document.createElement("li");
    item.value = event.seq;
    item.textContent = event.type + " " + summary(event);
    $("events").append(item);
    $("events").scrollTop = $("events").scrollHeight;
    if (event.type === "llm.completed") live.delete(event.frameId + "#" + event.iteration);
    if (event.type === "run.completed") { live.clear(); $("answer").textContent = event.data.text; }
  });
  source.addEventListener("partial", (message) => {
    const p = JSON.parse(message.data);
    live.set(p.frameId + "#" + p.iteration, { text: p.text });
    renderLive();
  });
  source.addEventListener("delta", (message) => {
    const d = JSON.parse(message.data);
    if (d.kind !== "text") return;
    const key = d.frameId + "#" + d.iteration;
    live.set(key, { text: (live.get(key)?.text ?? "") + d.delta });
    renderLive();
  });
  source.addEventListener("end", async (message) => {
    source.close();
    const end = JSON.parse(message.data);
    setStatus(end.status, "");
    $("stop").disabled = end.status !== "interrupted";
    if (end.status === "interrupted") await showPending();
  });
}
async function showPending() {
  const thread = await (await fetch(api("/threads/" + encodeURIComponent(threadId) + "?token=" + encodeURIComponent(token)))).json();
  $("pending").replaceChildren(...thread.pending.map((call) => {
    const box = document.createElement("div");
    box.className = "call";
    box.textContent = call.name + " " + JSON.stringify(call.args) + " — " + call.reason + " ";
    for (const [label, decision] of [["Approve", { approve: true }], ["Reject", { approve: false, reason: "rejected on the page" }]]) {
      const button = document.createElement("button");
      button.textContent = label;
      button.onclick = async () => {
        $("pending").replaceChildren();
        await post("/threads/" + encodeURIComponent(threadId) + "/decisions", { decisions: { [call.ref]: decision } });
        $("stop").disabled = false;
        follow();
      };
      box.append(button);
    }
    return box;
  }));
}
$("start").onsubmit = async (e) => {
  e.preventDefault();
  threadId = "web-" + crypto.randomUUID().slice(0, 8);
  location.hash = threadId;
  lastSeq = -1; live.clear();
  $("events").replaceChildren(); $("answer").textContent = ""; $("pending").replaceChildren();
  $("thread").textContent = threadId;
  await post("/threads/" + threadId + "/runs", { input: $("task").value });
  $("stop").disabled = false;
  follow();
};
$("stop").onclick = async () => {
  $("stop").disabled = true;
  await post("/threads/" + encodeURIComponent(threadId) + "/cancel", { reason: "stopped on the page" });
};
if (threadId) { $("thread").textContent = threadId; follow(); }
</script>
</body>
</html>
`;
