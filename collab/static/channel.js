// Live channels over /ws. On a channel page: the page's socket subscribes to the channel,
// messages posted, edited or deleted appear as they happen, and sending, editing
// and deleting go through the JSON API. On a workspace page: each channel's unread
// count follows what members post. Pages work without this file (the form posts).
(function () {
  'use strict';

  function csrfToken() {
    var field = document.querySelector('input[name=csrf_token]');
    return field ? field.value : '';
  }

  function api(method, url, body) {
    var options = {method: method, credentials: 'same-origin',
                   headers: {'X-CSRF-Token': csrfToken()}};
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.error || ('HTTP ' + response.status)); }
        return data;
      });
    });
  }

  // The page's one /ws socket belongs to app.js (window.collabSocket): its frames
  // arrive as `collab:event` on document, `collab:open` after each (re)connection and
  // `collab:close` on each loss.
  function listen(handlers) {
    Object.keys(handlers).forEach(function (name) {
      document.addEventListener('collab:' + name, function (event) {
        handlers[name](event.detail);
      });
    });
  }

  // ---------------------------------------------------------------- a channel page

  function channelPage(list) {
    var channelId = Number(list.getAttribute('data-channel-id'));
    var me = Number(list.getAttribute('data-user-id'));
    var status = document.getElementById('message-status');
    var subscribedBefore = false;

    function row(id) { return list.querySelector('[data-message-id="' + Number(id) + '"]'); }

    function say(text) { if (status) { status.textContent = text || ''; } }

    function render(message) {
      var item = document.createElement('li');
      item.id = 'message-' + Number(message.id);
      item.setAttribute('data-message-id', String(message.id));
      item.setAttribute('data-author-id', message.user_id == null ? '' : String(message.user_id));
      var author = document.createElement('strong');
      author.setAttribute('data-author', '');
      author.textContent = message.user_name || 'a former member';
      // As templates/_time.html writes it: app.js shows it in the viewer's timezone.
      var stamp = String(message.created_at || '');
      var time = document.createElement('time');
      time.setAttribute('datetime', stamp);
      time.setAttribute('data-format', 'time');
      time.textContent = stamp.slice(0, 16).replace('T', ' ') + ' UTC';
      var when = document.createElement('span');
      when.className = 'muted';
      when.appendChild(time);
      var edited = document.createElement('span');
      edited.className = 'muted';
      edited.setAttribute('data-edited', '');
      edited.textContent = '(edited)';
      edited.hidden = !message.edited_at;
      item.append(author, ' ', when, ' ', edited);
      if (message.user_id === me) {
        var edit = document.createElement('button'), remove = document.createElement('button');
        edit.type = remove.type = 'button';
        edit.setAttribute('data-edit', '');
        remove.setAttribute('data-delete', '');
        edit.textContent = 'Edit';
        remove.textContent = 'Delete';
        item.append(' ', edit, ' ', remove);
      }
      var body = document.createElement('span');
      body.setAttribute('data-body', '');
      body.style.whiteSpace = 'pre-wrap';
      body.style.overflowWrap = 'anywhere';
      body.textContent = message.body;
      item.append(document.createElement('br'), body);
      return item;
    }

    function place(message) {
      var existing = row(message.id);
      if (existing) { update(message); return; }
      var empty = list.querySelector('[data-no-messages]');
      if (empty) { empty.remove(); }
      var later = Array.prototype.find.call(list.querySelectorAll('[data-message-id]'), function (li) {
        return Number(li.getAttribute('data-message-id')) > message.id;
      });
      list.insertBefore(render(message), later || null);
    }

    function update(message) {
      var item = row(message.id);
      if (!item || item.querySelector('[data-edit-input]')) { return; }
      item.querySelector('[data-body]').textContent = message.body;
      item.querySelector('[data-edited]').hidden = !message.edited_at;
    }

    var readUpTo = 0, readSent = 0, reading = false;
    // Read while it is on screen: the workspace page's count for it stays at zero.
    // One request at a time; what arrives meanwhile is read by the next.
    function markRead(messageId) {
      readUpTo = Math.max(readUpTo, messageId || 0);
      if (document.hidden || reading || readUpTo <= readSent) { return; }
      reading = true;
      var upTo = readUpTo;
      api('POST', '/api/channels/' + channelId + '/read', {message_id: upTo})
        .then(function () { readSent = Math.max(readSent, upTo); })
        .catch(function () {})
        .then(function () { reading = false; markRead(0); });
    }
    document.addEventListener('visibilitychange', function () { markRead(0); });

    // After a reconnection: what changed while the socket was away.
    function catchUp() {
      api('GET', '/api/channels/' + channelId + '/messages?limit=100').then(function (data) {
        var seen = {};
        data.messages.forEach(function (m) { seen[m.id] = true; });
        var oldest = data.messages.length ? data.messages[data.messages.length - 1].id : 0;
        list.querySelectorAll('[data-message-id]').forEach(function (li) {
          var id = Number(li.getAttribute('data-message-id'));
          if (id >= oldest && !seen[id]) { li.remove(); }
        });
        data.messages.slice().reverse().forEach(function (m) { place(m); markRead(m.id); });
      }).catch(function () {});
    }

    // Sent again by app.js after every reconnection, before `collab:open`.
    window.collabSocket.subscribe({type: 'subscribe', channel: channelId});
    listen({close: function () { list.setAttribute('data-live', '0'); }, event: function (event) {
      if (event.type === 'subscribed' && event.channel === channelId) {
        list.setAttribute('data-live', '1');
        if (subscribedBefore) { catchUp(); }
        subscribedBefore = true;
      } else if (event.type === 'message' && event.channel_id === channelId) {
        if (event.action === 'deleted') {
          var gone = row(event.message.id);
          if (gone) { gone.remove(); }
        } else {
          place(event.message);
          if (event.action === 'posted') { markRead(event.message.id); }
        }
      }
    }});

    var form = document.getElementById('message-form');
    form.addEventListener('submit', function (submit) {
      submit.preventDefault();
      var input = form.querySelector('input[name=body]');
      var button = form.querySelector('button[type=submit]');
      if (!input.value.trim()) { return; }
      button.disabled = true;
      api('POST', '/api/channels/' + channelId + '/messages', {body: input.value})
        .then(function (message) { input.value = ''; say(''); place(message); })
        .catch(function (error) { say(error.message); })
        .then(function () { button.disabled = false; input.focus(); });
    });

    list.addEventListener('click', function (click) {
      var item = click.target.closest('[data-message-id]');
      if (!item) { return; }
      var id = Number(item.getAttribute('data-message-id'));
      if (click.target.matches('[data-delete]')) {
        if (!window.confirm('Delete this message?')) { return; }
        api('DELETE', '/api/messages/' + id)
          .then(function () { item.remove(); say(''); })
          .catch(function (error) { say(error.message); });
      } else if (click.target.matches('[data-edit]')) {
        startEditing(item, id);
      }
    });

    function startEditing(item, id) {
      var body = item.querySelector('[data-body]');
      if (item.querySelector('[data-edit-input]')) { return; }
      var editor = document.createElement('form');
      editor.className = 'inline';
      var input = document.createElement('input');
      input.setAttribute('data-edit-input', '');
      input.setAttribute('aria-label', 'Edit message');
      input.maxLength = 10000;
      input.value = body.textContent;
      var save = document.createElement('button');
      save.type = 'submit';
      save.textContent = 'Save';
      var cancel = document.createElement('button');
      cancel.type = 'button';
      cancel.textContent = 'Cancel';
      editor.append(input, save, cancel);
      body.hidden = true;
      body.after(editor);
      input.focus();
      function stop() { editor.remove(); body.hidden = false; }
      cancel.addEventListener('click', stop);
      editor.addEventListener('submit', function (submit) {
        submit.preventDefault();
        api('PATCH', '/api/messages/' + id, {body: input.value})
          .then(function (message) { stop(); update(message); say(''); })
          .catch(function (error) { say(error.message); });
      });
    }
  }

  // ---------------------------------------------------------------- a workspace page

  function workspacePage(list) {
    var workspaceId = Number(list.getAttribute('data-workspace-id'));
    var pending = null;

    function show(counts) {
      counts.forEach(function (channel) {
        var badge = list.querySelector('[data-channel-id="' + Number(channel.id) + '"] [data-unread]');
        if (!badge) { return; }
        badge.setAttribute('data-count', String(channel.unread));
        badge.textContent = String(channel.unread);
      });
    }

    // Counts are the server's (its read markers know other tabs and deletions): fetch
    // them anew on any news, a burst of posts costing one request.
    function refresh() {
      if (pending) { return; }
      pending = setTimeout(function () {
        pending = null;
        api('GET', '/api/workspaces/' + workspaceId + '/channels')
          .then(function (data) { show(data.channels); list.setAttribute('data-live', '1'); })
          .catch(function () {});
      }, 50);
    }

    // On each (re)connection: what changed while the socket was away.
    listen({open: refresh, event: function (event) {
      if ((event.type === 'channel.activity' || event.type === 'channel.read')
          && event.workspace_id === workspaceId) { refresh(); }
    }});
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!window.collabSocket || !window.fetch) { return; }   // app.js: signed in, with WebSocket
    var messages = document.getElementById('messages');
    var channels = document.getElementById('channels');
    if (messages && messages.hasAttribute('data-channel-id')) { channelPage(messages); }
    if (channels && channels.hasAttribute('data-workspace-id')) { workspacePage(channels); }
  });
}());
