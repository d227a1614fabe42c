// Live updates for the admin pages: when jobs change (a "jobs" event on the
// page's /ws socket, see app.js) and every few seconds anyway, fetch the page's
// live region (server-rendered and escaped, ?partial=1) and swap it in when it
// changed. Without JavaScript the page still works: the Refresh link reloads it.
(function () {
  'use strict';
  var POLL_MS = 5000;
  var region = document.querySelector('[data-admin-live]');
  var status = document.querySelector('[data-admin-live-status]');
  if (!region) { return; }
  var busy = false;

  function openKeys() {
    var keys = [];
    region.querySelectorAll('details[open][data-key]').forEach(function (el) {
      keys.push(el.getAttribute('data-key'));
    });
    return keys;
  }

  function reopen(keys) {
    keys.forEach(function (key) {
      var el = region.querySelector('details[data-key="' + CSS.escape(key) + '"]');
      if (el) { el.open = true; }
    });
  }

  function show(text, failed) {
    if (!status) { return; }
    status.hidden = false;
    status.textContent = text;
    status.classList.toggle('stale', !!failed);
  }

  function poll() {
    if (busy || document.visibilityState === 'hidden') { return; }
    busy = true;
    fetch(region.getAttribute('data-admin-live'), {credentials: 'same-origin',
                                             headers: {'Accept': 'text/html'}})
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.text();
      })
      .then(function (html) {
        if (html !== region.getAttribute('data-html')) {
          var keys = openKeys();
          region.innerHTML = html;
          region.setAttribute('data-html', html);
          reopen(keys);
        }
        show('live · ' + new Date().toLocaleTimeString(), false);
      })
      .catch(function () { show('offline · retrying', true); })
      .then(function () { busy = false; });
  }

  show('live', false);
  document.addEventListener('collab:jobs', poll);
  setInterval(poll, POLL_MS);
})();
