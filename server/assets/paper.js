// Keyboard speed for the paper-form grid; the grid works as a plain form without it.
// A valid score (1-4) or sex (L/P) moves on to the next cell; anything else is
// refused on the spot and the row says why, so typing errors never reach the server.
(function () {
  'use strict';
  var form = document.querySelector('form.paper');
  if (!form) { return; }
  var cells = Array.prototype.slice.call(form.querySelectorAll('table.grid input, table.grid select'));
  var rules = { score: /^[1-4]$/, gender: /^[LPlp]$/ };
  form.addEventListener('input', function (e) {
    var t = e.target;
    var kind = t.classList.contains('score') ? 'score' : (t.classList.contains('gender') ? 'gender' : '');
    if (!kind || t.value === '') { t.removeAttribute('aria-invalid'); return; }
    var status = t.closest('tr').querySelector('.row-status');
    if (!rules[kind].test(t.value)) {
      t.setAttribute('aria-invalid', 'true');
      status.textContent = t.getAttribute('aria-label') + ': ' + (kind === 'score' ? '1-4' : 'L/P');
      t.select();
      return;
    }
    t.removeAttribute('aria-invalid');
    status.textContent = '';
    if (kind === 'gender') { t.value = t.value.toUpperCase(); }
    var next = cells[cells.indexOf(t) + 1];
    if (next) { next.focus(); if (next.select) { next.select(); } }
  });
  var summary = document.getElementById('kesalahan');
  if (summary) { summary.focus(); }
}());
