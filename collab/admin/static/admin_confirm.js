// Destructive and bulk actions ask first: a form with data-confirm is sent only
// when the admin agrees to its question, which names how many jobs it touches.
// Listening on the document keeps working when the live region is swapped in.
// Without JavaScript the forms are sent as they are.
(function () {
  'use strict';
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
