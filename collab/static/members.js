// The members page: copy an invite link, and confirm before a form that changes
// who is in the workspace is sent. (No inline scripts: the CSP allows only files.)
(function () {
  'use strict';

  function copyFrom(input, button) {
    var done = function () {
      button.textContent = 'Copied';
      setTimeout(function () { button.textContent = 'Copy link'; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        input.select();
        button.textContent = 'Press Ctrl+C';
      });
      return;
    }
    input.select();
    if (document.execCommand('copy')) { done(); } else { button.textContent = 'Press Ctrl+C'; }
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest('button[data-copy]');
    if (!button) { return; }
    var input = document.getElementById(button.getAttribute('data-copy'));
    if (input) { copyFrom(input, button); }
  });

  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
}());
