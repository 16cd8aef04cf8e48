// The receipt's print button: shown only where script runs (the page says how to
// print from the browser menu otherwise).
document.querySelectorAll('[data-print]').forEach(function (b) {
  b.hidden = false;
  b.addEventListener('click', function () { window.print(); });
});
