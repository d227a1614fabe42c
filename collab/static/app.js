// Live notifications and online status over /ws. Pages work without this file;
// it only adds what arrives while a page is open.
(function () {
  'use strict';
  var menu = null, count = null, list = null, retry = 1000;
  var MAX_LIVE = 8, PING_MS = 25000;

  function show(note) {
    var n = parseInt(count.getAttribute('data-count') || '0', 10) + 1;
    count.setAttribute('data-count', String(n));
    count.textContent = String(n);
    var item = document.createElement('li');
    item.className = 'live-notification';
    item.textContent = note.title + (note.body ? ' — ' + note.body : '');
    list.insertBefore(item, list.firstChild);
    while (list.children.length > MAX_LIVE) { list.removeChild(list.lastChild); }
  }

  function markOnline(event) {
    var row = document.querySelector('#members [data-user-id="' + Number(event.user_id) + '"]');
    if (row) { row.classList.toggle('online', !!event.online); }
  }

  // A running export's parts, as they finish (collab/export_progress.py).
  function exportProgress(event) {
    var row = document.querySelector('#exports [data-export-id="' + Number(event.export_id) + '"]');
    var bar = row && row.querySelector('[data-export-progress]');
    if (!bar) { return; }
    bar.value = Number(event.progress.done);
    row.querySelector('[data-export-note]').textContent = event.progress.note || '';
  }

  function connect() {
    var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    var socket = new WebSocket(scheme + location.host + '/ws');
    var pinger = null;
    socket.onopen = function () {
      retry = 1000;
      pinger = setInterval(function () { socket.send(JSON.stringify({type: 'ping'})); }, PING_MS);
    };
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (event.type === 'notification') { show(event.data); }
      else if (event.type === 'presence') { markOnline(event); }
      else if (event.type === 'export.progress') { exportProgress(event); }
      else if (event.type === 'hello') { menu.setAttribute('data-connected', '1'); }
      else if (event.type === 'jobs') { document.dispatchEvent(new CustomEvent('collab:jobs')); }
    };
    socket.onclose = function () {
      clearInterval(pinger);
      menu.removeAttribute('data-connected');
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  document.addEventListener('DOMContentLoaded', function () {
    menu = document.getElementById('notifications');
    if (!menu || !window.WebSocket) { return; }
    count = document.getElementById('notif-count');
    list = document.getElementById('notif-live');
    connect();
  });
}());
