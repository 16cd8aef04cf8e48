// Progressive enhancement of the SKM survey; the form works without this file.
// - On a phone, tapping an answer moves on to the next question (pointer only, so
//   keyboard users moving between answers with the arrow keys are not carried off).
// - On a kiosk (body[data-idle-seconds]), the form starts over after inactivity.
// - When the server sent errors back, the error summary gets focus.
(function () {
  'use strict';
  var form = document.querySelector('form.survey');
  if (!form) { return; }
  var phone = window.matchMedia('(max-width: 47.99rem)');
  var lastPointer = 0;
  form.addEventListener('pointerdown', function () { lastPointer = Date.now(); }, { passive: true });
  form.addEventListener('change', function (e) {
    var t = e.target;
    if (!t || t.type !== 'radio' || !phone.matches || Date.now() - lastPointer > 1500) { return; }
    var q = t.closest('fieldset.q');
    if (!q) { return; }
    var next = q.nextElementSibling;
    while (next && !next.classList.contains('q')) { next = next.nextElementSibling; }
    if (!next) { return; }
    window.setTimeout(function () {
      next.scrollIntoView({ behavior: 'smooth', block: 'start' });
    }, 200);
  });
  var idle = parseInt(document.body.getAttribute('data-idle-seconds') || '0', 10);
  if (idle > 0) {
    var timer = 0;
    var restart = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { window.location.replace('/kiosk'); }, idle * 1000);
    };
    ['pointerdown', 'keydown', 'input', 'scroll', 'touchstart'].forEach(function (name) {
      document.addEventListener(name, restart, { passive: true });
    });
    restart();
  }
  var summary = document.getElementById('kesalahan');
  if (summary) { summary.focus(); }
}());
