// The page's one /ws socket (window.collabSocket, shared by the page's other scripts),
// live notifications and online status over it, and times in the viewer's timezone.
// Pages work without this file; it only adds what arrives while a page is open.
(function () {
  'use strict';
  var menu = null, count = null, list = null, retry = 1000;
  var MAX_LIVE = 4, PING_MS = 25000;
  // A toast fades after TOAST_MS (or <body data-toast-ms>), unless the pointer is on it.
  var TOAST_MS = 6000, FADE_MS = 400;

  function show(note) {
    var n = parseInt(count.getAttribute('data-count') || '0', 10) + 1;
    count.setAttribute('data-count', String(n));
    count.textContent = String(n);
    list.insertBefore(toast(note), list.firstChild);
    while (list.children.length > MAX_LIVE) { list.removeChild(list.lastChild); }
  }

  function toast(note) {
    var item = document.createElement('li');
    item.className = 'live-notification';
    item.setAttribute('role', 'status');
    var text = document.createElement('a');
    // Only a path on this site: the link comes from the server, but never trust it to leave.
    var link = typeof note.link === 'string' ? note.link : '';
    text.href = /^\/(?!\/)/.test(link) ? link : '/notifications';
    text.textContent = note.title + (note.body ? ' — ' + note.body : '');
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'toast-close';
    close.setAttribute('aria-label', 'Dismiss');   // its × is drawn by the stylesheet
    close.addEventListener('click', function () { dismiss(item); });
    item.appendChild(text);
    item.appendChild(close);
    var ms = parseInt(document.body.getAttribute('data-toast-ms') || '', 10) || TOAST_MS;
    var timer = setTimeout(function () { dismiss(item); }, ms);
    item.addEventListener('mouseenter', function () { clearTimeout(timer); });
    item.addEventListener('mouseleave', function () {
      timer = setTimeout(function () { dismiss(item); }, ms);
    });
    return item;
  }

  function dismiss(item) {
    if (item.classList.contains('fading')) { return; }
    item.classList.add('fading');
    setTimeout(function () { if (item.parentNode) { item.parentNode.removeChild(item); } }, FADE_MS);
  }

  // <time datetime="…Z"> elements hold UTC (and say so without JavaScript): show them
  // in the viewer's own timezone and language, with the UTC time as a tooltip.
  var DATE_TIME = {dateStyle: 'medium', timeStyle: 'short'}, TIME = {timeStyle: 'short'};

  function localTimes(root) {
    if (!window.Intl || !root.querySelectorAll) { return; }
    var times = root.querySelectorAll('time[datetime]:not([data-local])');
    for (var i = 0; i < times.length; i++) {
      var when = new Date(times[i].getAttribute('datetime'));
      if (isNaN(when.getTime())) { continue; }
      // data-format="time" (chat messages): the time alone for today's, else date and time.
      var today = when.toDateString() === new Date().toDateString();
      var format = times[i].getAttribute('data-format') === 'time' && today ? TIME : DATE_TIME;
      times[i].title = times[i].textContent;
      times[i].textContent = new Intl.DateTimeFormat(undefined, format).format(when);
      times[i].setAttribute('data-local', '1');
    }
  }

  function watchTimes() {
    localTimes(document);
    if (!window.MutationObserver) { return; }
    // Live parts of pages (the admin's, a channel's) add times after the page loaded.
    new MutationObserver(function (changes) {
      for (var i = 0; i < changes.length; i++) {
        for (var j = 0; j < changes[i].addedNodes.length; j++) {
          var node = changes[i].addedNodes[j];
          if (node.nodeType === 1) { localTimes(node.parentNode || node); }
        }
      }
    }).observe(document.body, {childList: true, subtree: true});
  }

  function markOnline(event) {
    var row = document.querySelector('#members [data-user-id="' + Number(event.user_id) + '"]');
    if (row) { row.classList.toggle('online', !!event.online); }
  }

  // The page's one /ws socket, shared by every script of the page (channel.js,
  // workspace_files.js, the admin's): each socket counts against WS_MAX_PER_USER.
  // Every frame is re-dispatched on document as `collab:event` (detail: the frame);
  // `collab:open` follows each (re)connection once the server said hello, and
  // `collab:close` each loss. Page scripts may load before or after this file (all
  // are `defer`): they reach window.collabSocket from their DOMContentLoaded handlers,
  // when every deferred script has run, listen on document, and what they send
  // before the socket is open waits for it.
  var socket = null, subscriptions = {}, waiting = [], MAX_WAITING = 100;

  function isOpen() { return !!(socket && socket.readyState === 1 && socket.collabHello); }

  function transmit(frame) { socket.send(JSON.stringify(frame)); }

  window.collabSocket = {
    // Send a frame now, or once the socket is (back) open.
    send: function (frame) {
      if (isOpen()) { transmit(frame); }
      else if (waiting.length < MAX_WAITING) { waiting.push(frame); }
    },
    // A frame that holds for the page's life (a channel subscription): sent now if
    // open and again after every reconnection. One per `type`: a later one replaces it.
    subscribe: function (frame) {
      subscriptions[frame.type] = frame;
      if (isOpen()) { transmit(frame); }
    },
    get open() { return isOpen(); },
    get _ws() { return socket; }   // the current WebSocket (tests close it to force a reconnection)
  };

  function announce(name, detail) {
    document.dispatchEvent(new CustomEvent(name, {detail: detail}));
  }

  function opened() {
    socket.collabHello = true;
    menu.setAttribute('data-connected', '1');
    Object.keys(subscriptions).forEach(function (type) { transmit(subscriptions[type]); });
    var frames = waiting;
    waiting = [];
    frames.forEach(transmit);
    announce('collab:open', null);
  }

  function connect() {
    var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    var current = socket = new WebSocket(scheme + location.host + '/ws');
    var pinger = null;
    current.onopen = function () {
      retry = 1000;
      pinger = setInterval(function () { current.send(JSON.stringify({type: 'ping'})); }, PING_MS);
    };
    current.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (!event || typeof event !== 'object') { return; }
      if (event.type === 'notification') { show(event.data); }
      else if (event.type === 'presence') { markOnline(event); }
      else if (event.type === 'hello') { opened(); }
      else if (event.type === 'jobs') { announce('collab:jobs', null); }
      announce('collab:event', event);
    };
    current.onclose = function () {
      clearInterval(pinger);
      menu.removeAttribute('data-connected');
      announce('collab:close', null);
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  document.addEventListener('DOMContentLoaded', function () {
    watchTimes();
    menu = document.getElementById('notifications');
    if (!menu || !window.WebSocket) { return; }
    count = document.getElementById('notif-count');
    list = document.getElementById('notif-live');
    connect();
  });
}());
