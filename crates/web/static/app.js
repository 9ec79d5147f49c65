// onewindow — comfort only: every page and form works without this file.
// Keyboard shortcuts: an element with data-key="a" is clicked when that key is pressed outside
// a text field (the clerk accepts a complete case without the mouse).
"use strict";
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  var target = event.target;
  var tag = target && target.tagName;
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
  var key = event.key && event.key.toLowerCase();
  var element = key && document.querySelector('[data-key="' + key + '"]');
  if (element) {
    event.preventDefault();
    element.focus();
    element.click();
  }
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
