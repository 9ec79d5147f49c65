// onewindow — comfort only: every page and form works without this file.
"use strict";
// Single-key shortcuts (WCAG 2.1.4): an element with data-key="a" is never pressed by the key
// alone. The key, outside a text field, moves the focus to it and shows its confirmation hint
// (the id in data-key-confirm); Enter, the button's own key, then presses it and Esc goes back.
// A stray key therefore accepts nothing. The user may also turn the keys off altogether with a
// [data-shortcut-toggle] checkbox; the choice is kept in this browser (on unless turned off).
var SHORTCUTS_KEY = "onewindow.single-key-shortcuts";
function shortcutsOn() {
  try { return window.localStorage.getItem(SHORTCUTS_KEY) !== "off"; } catch (e) { return true; }
}
// Adds or removes one id in an element's aria-describedby (what a screen reader reads with it).
function describedBy(element, id, on) {
  var ids = (element.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) { return x && x !== id; });
  if (on) ids.push(id);
  if (ids.length) element.setAttribute("aria-describedby", ids.join(" "));
  else element.removeAttribute("aria-describedby");
}
function showShortcuts(on) {
  document.querySelectorAll("[data-key]").forEach(function (element) {
    if (on) element.setAttribute("aria-keyshortcuts", element.getAttribute("data-key").toUpperCase());
    else element.removeAttribute("aria-keyshortcuts");
    var hint = document.getElementById(element.getAttribute("data-key-hint") || "");
    if (hint) { hint.hidden = !on; describedBy(element, hint.id, on); }
  });
}
var armed = null; // { element, hint, back }: the element the key has focused, awaiting Enter
function disarm(restore) {
  if (!armed) return;
  var was = armed;
  armed = null;
  was.element.removeAttribute("data-armed");
  if (was.hint) { was.hint.hidden = true; describedBy(was.element, was.hint.id, false); }
  if (restore) {
    // Back to where the focus was, or nowhere (the page) when it was on nothing.
    if (was.back && was.back !== document.body && was.back.focus && document.contains(was.back)) was.back.focus();
    else was.element.blur();
  }
}
document.querySelectorAll("[data-shortcut-toggle]").forEach(function (box) {
  box.checked = shortcutsOn();
  var shelf = box.closest("[hidden]"); // shown only where this script runs
  if (shelf) shelf.hidden = false;
  box.addEventListener("change", function () {
    try { window.localStorage.setItem(SHORTCUTS_KEY, box.checked ? "on" : "off"); } catch (e) { /* not kept */ }
    if (!box.checked) disarm(false);
    showShortcuts(box.checked);
  });
});
showShortcuts(shortcutsOn());
document.addEventListener("keydown", function (event) {
  if (armed && event.key === "Escape") {
    event.preventDefault();
    disarm(true);
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || !shortcutsOn()) return;
  var target = event.target;
  var tag = target && target.tagName;
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
  var key = event.key && event.key.length === 1 && event.key.toLowerCase();
  var element = key && document.querySelector('[data-key="' + key + '"]');
  if (!element) return;
  event.preventDefault();
  if (armed && armed.element === element) return; // pressed again: still waiting for Enter
  disarm(false);
  var hintId = element.getAttribute("data-key-confirm");
  var hint = hintId && document.getElementById(hintId);
  armed = { element: element, hint: hint, back: document.activeElement };
  element.setAttribute("data-armed", "");
  if (hint) { hint.hidden = false; describedBy(element, hint.id, true); }
  element.focus();
});
// Leaving the button some other way (Tab, a click elsewhere) ends the confirmation step.
document.addEventListener("focusout", function (event) {
  if (armed && event.target === armed.element) disarm(false);
});
// A button with data-confirm asks before its form is sent.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = button && button.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
// A button with data-print prints the page.
document.addEventListener("click", function (event) {
  var element = event.target && event.target.closest && event.target.closest("[data-print]");
  if (element) { event.preventDefault(); window.print(); }
});
// Account forms: a post row shows only the picker its role takes (a department for reviewers
// and approvers, a centre for clerks); the one it does not take is disabled, so it is not sent.
// "Add" and "remove" work here without a round trip; without this file the server draws the
// rows again.
function fitPostRow(row) {
  var role = row.querySelector("[data-post-role]");
  var option = role && role.options[role.selectedIndex];
  var takes = (option && option.getAttribute("data-takes")) || "";
  var chosen = role && role.value !== "";
  row.querySelectorAll("[data-needs]").forEach(function (field) {
    var on = !chosen || takes === field.getAttribute("data-needs");
    field.hidden = !on;
    field.querySelectorAll("select").forEach(function (s) { s.disabled = !on; });
  });
}
function numberPostRows(rows) {
  rows.querySelectorAll("[data-post-row]").forEach(function (row, i) {
    var legend = row.querySelector("legend");
    if (legend) legend.textContent = row.getAttribute("data-legend") + " " + (i + 1);
  });
}
document.querySelectorAll("[data-post-row]").forEach(fitPostRow);
document.addEventListener("change", function (event) {
  var row = event.target && event.target.closest && event.target.closest("[data-post-row]");
  if (row && event.target.hasAttribute("data-post-role")) fitPostRow(row);
});
document.addEventListener("click", function (event) {
  var button = event.target && event.target.closest && event.target.closest("[data-add-post], [data-remove-post]");
  var rows = button && button.closest("[data-post-rows]");
  if (!rows) return;
  var all = rows.querySelectorAll("[data-post-row]");
  if (button.hasAttribute("data-remove-post")) {
    if (all.length < 2) return; // the last row stays; the server empties it
    event.preventDefault();
    button.closest("[data-post-row]").remove();
  } else {
    event.preventDefault();
    var last = all[all.length - 1];
    var next = 0;
    rows.querySelectorAll("[name$='_role']").forEach(function (s) {
      var n = parseInt(s.name.replace(/^post(\d+)_role$/, "$1"), 10);
      if (n >= next) next = n + 1;
    });
    var copy = last.cloneNode(true);
    copy.classList.remove("invalid");
    copy.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
    copy.querySelectorAll(".invalid").forEach(function (e) { e.classList.remove("invalid"); });
    copy.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (e) {
      ["name", "id", "for"].forEach(function (a) {
        var v = e.getAttribute(a);
        if (v) e.setAttribute(a, v.replace(/post\d+([-_])/, "post" + next + "$1"));
      });
      e.removeAttribute("aria-invalid");
      e.removeAttribute("aria-describedby");
    });
    copy.querySelectorAll("select").forEach(function (s) { s.selectedIndex = 0; });
    var remove = copy.querySelector("[data-remove-post]");
    if (remove) remove.value = String(next);
    last.after(copy);
    fitPostRow(copy);
  }
  numberPostRows(rows);
});
// A page with data-refresh-every="N" (a ticket being followed) reloads itself every N seconds.
document.querySelectorAll("[data-refresh-every]").forEach(function (element) {
  var seconds = parseInt(element.getAttribute("data-refresh-every"), 10);
  if (seconds > 0) setTimeout(function () { window.location.reload(); }, seconds * 1000);
});
// The hall's display board follows its server-sent events: each event is the whole board. The
// voice button lets the speakers say each new call (browsers speak only after a gesture).
document.querySelectorAll("[data-board]").forEach(function (main) {
  if (!window.EventSource) return;
  var list = document.getElementById("board-calls");
  var waiting = document.getElementById("board-waiting");
  var voice = document.getElementById("board-voice");
  var english = main.getAttribute("data-lang") === "en";
  var speaking = false;
  var said = {};
  if (voice) voice.addEventListener("click", function () {
    speaking = !speaking;
    voice.setAttribute("aria-pressed", speaking ? "true" : "false");
  });
  var source = new EventSource(main.getAttribute("data-board"));
  source.addEventListener("board", function (event) {
    var board = JSON.parse(event.data);
    var empty = document.getElementById("board-empty");
    if (empty && board.calls.length) empty.remove();
    list.textContent = "";
    board.calls.forEach(function (call, i) {
      var item = document.createElement("li");
      if (i === 0) item.className = "latest";
      [["number", call.number], ["arrow", "→"], ["window", call.window_name],
       ["speech", english ? call.speech_en : call.speech]].forEach(function (part) {
        var span = document.createElement("span");
        span.className = part[0];
        span.textContent = part[1];
        item.appendChild(span);
        item.appendChild(document.createTextNode(" "));
      });
      list.appendChild(item);
      var key = call.number + "|" + call.calls;
      if (!said[key]) {
        said[key] = true;
        if (speaking && window.speechSynthesis) {
          var words = new SpeechSynthesisUtterance(english ? call.speech_en : call.speech);
          words.lang = english ? "en" : "zh-CN";
          window.speechSynthesis.speak(words);
        }
      }
    });
    if (waiting) waiting.textContent = waiting.getAttribute("data-label").replace("{n}", board.waiting);
    main.setAttribute("data-board-updated", board.calls.length ? board.calls[0].number + "|" + board.calls[0].calls : "");
  });
});
