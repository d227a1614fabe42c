// The workspace page's files and exports: uploads with a progress bar and the
// server's answer, deletes after a confirmation, and each export's state and
// progress as they change (over /ws). Without this file the forms still post and
// redirect with a message; this only saves the reloads.
(function () {
  'use strict';
  var BUSY = {pending: true, running: true};

  function csrf(form) { return form.querySelector('input[name=csrf_token]').value; }

  function say(status, text, isError) {
    status.textContent = text;
    status.className = isError ? 'error' : 'muted';
    status.setAttribute('role', isError ? 'alert' : 'status');
  }

  function parse(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  // The server's own words for a refusal ("file is larger than …", "the workspace
  // quota …", "the disk is full …"); a bare status only when it sent none.
  function refusal(status, body, what) {
    return (body && body.error) || (what + ' failed (HTTP ' + status + ').');
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // ------------------------------------------------------------------ files

  function deleteLink(file) {
    return element('a', {'class': 'delete-file', href: '/f/' + Number(file.id) + '/delete',
                         'data-api': file.url, 'data-name': file.name,
                         'aria-label': 'Delete ' + file.name}, 'Delete');
  }

  function fileItem(file) {
    var item = element('li', {'data-file-id': String(file.id)});
    item.appendChild(element('a', {href: file.url}, file.name));
    item.appendChild(document.createTextNode(' '));
    var about = element('span', {'class': 'muted'},
                        file.size + ' bytes · ' + (file.uploaded_by_name || 'a former member') + ' · ');
    about.appendChild(element('time', {datetime: file.created_at},
                              file.created_at.slice(0, 16).replace('T', ' ') + ' UTC'));
    item.appendChild(about);
    item.appendChild(document.createTextNode(' '));
    item.appendChild(deleteLink(file));   // the uploader may always delete it
    return item;
  }

  function listChanged(list) {
    var empty = list.querySelector('[data-no-files]');
    var hasFiles = list.querySelector('[data-file-id]') !== null;
    if (hasFiles && empty) { empty.remove(); }
    if (!hasFiles && !empty) { list.appendChild(element('li', {'class': 'muted', 'data-no-files': ''}, 'No files yet.')); }
  }

  function uploads(form, list, status) {
    var input = form.querySelector('input[type=file]');
    var button = form.querySelector('button[type=submit]');
    var bar = document.getElementById('upload-progress');
    form.noValidate = true;   // an empty choice gets our message, not the browser's bubble
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var file = input.files && input.files[0];
      if (!file) {
        say(status, 'Choose a file to upload first.', true);
        input.focus();
        return;
      }
      var data = new FormData();
      data.append('file', file);
      var request = new XMLHttpRequest();
      request.open('POST', form.getAttribute('data-api'));
      request.setRequestHeader('X-CSRF-Token', csrf(form));
      request.setRequestHeader('Accept', 'application/json');
      request.upload.onprogress = function (progress) {
        if (!progress.lengthComputable) { return; }
        bar.max = progress.total;
        bar.value = progress.loaded;
        say(status, 'Uploading “' + file.name + '”: ' + Math.floor(100 * progress.loaded / progress.total) + '%');
      };
      request.onload = function () {
        var answer = parse(request.responseText);
        button.disabled = false;
        if (request.status === 201 && answer) {
          bar.value = bar.max;
          list.insertBefore(fileItem(answer), list.firstChild);
          listChanged(list);
          form.reset();
          say(status, 'Uploaded “' + answer.name + '” (' + answer.size + ' bytes).');
        } else {
          bar.hidden = true;
          say(status, refusal(request.status, answer, 'The upload'), true);
        }
      };
      request.onerror = function () {
        button.disabled = false;
        bar.hidden = true;
        say(status, tooLarge(form, file) || 'The upload failed: the connection to the server broke off.', true);
      };
      bar.value = 0;
      bar.hidden = false;
      button.disabled = true;
      say(status, 'Uploading “' + file.name + '”…');
      request.send(data);
    });
  }

  // A server may refuse an oversized upload before reading it and close the
  // connection, which the browser reports with no answer: say the limit then.
  function tooLarge(form, file) {
    var limit = Number(form.getAttribute('data-max-bytes'));
    return limit && file.size > limit ? 'file is larger than ' + limit + ' bytes' : '';
  }

  // The Delete link leads to a confirmation page; here the page asks instead.
  function deletes(list, status, token) {
    list.addEventListener('click', function (event) {
      var link = event.target.closest('a.delete-file');
      if (!link) { return; }
      event.preventDefault();
      var name = link.getAttribute('data-name');
      if (!window.confirm('Delete “' + name + '”? This cannot be undone.')) { return; }
      fetch(link.getAttribute('data-api'), {
        method: 'DELETE', credentials: 'same-origin',
        headers: {'X-CSRF-Token': token, 'Accept': 'application/json'}
      }).then(function (response) {
        return response.text().then(function (text) {
          if (response.ok) {
            link.closest('li').remove();
            listChanged(list);
            say(status, 'Deleted “' + name + '”.');
          } else {
            say(status, refusal(response.status, parse(text), 'The delete'), true);
          }
        });
      }, function () {
        say(status, 'The delete failed: the connection to the server broke off.', true);
      });
    });
  }

  // ------------------------------------------------------------------ exports

  function exportsLive(list) {
    var workspaceId = Number(list.getAttribute('data-workspace-id'));

    function row(id) { return list.querySelector('[data-export-id="' + Number(id) + '"]'); }

    function newRow(id) {
      var item = element('li', {'data-export-id': String(id), 'data-state': 'pending'}, 'Export #' + id + ': ');
      item.appendChild(element('span', {'data-export-state': ''}, 'pending'));
      item.appendChild(document.createTextNode(' '));
      item.appendChild(element('progress', {'data-export-progress': '', value: '0', max: '3'}));
      item.appendChild(document.createTextNode(' '));
      item.appendChild(element('span', {'data-export-note': '', 'class': 'muted'}));
      item.appendChild(document.createTextNode(' '));
      item.appendChild(element('span', {'data-export-result': ''}));
      list.insertBefore(item, list.firstChild);
      return item;
    }

    function showState(exported) {
      var item = row(exported.id);
      if (!item && exported.workspace_id === workspaceId) { item = newRow(exported.id); }
      // Ready and failed are final: an answer that left the server earlier never undoes them.
      if (!item || (!BUSY[item.getAttribute('data-state')] && BUSY[exported.state])) { return; }
      item.setAttribute('data-state', exported.state);
      item.querySelector('[data-export-state]').textContent = exported.state;
      var bar = item.querySelector('[data-export-progress]');
      var result = item.querySelector('[data-export-result]');
      bar.hidden = !BUSY[exported.state];
      result.textContent = '';
      if (exported.state === 'ready') {
        bar.value = bar.max;
        item.querySelector('[data-export-note]').textContent = '';
        result.appendChild(document.createTextNode('— '));
        result.appendChild(element('a', {href: '/exports/' + Number(exported.id)}, 'download zip'));
      } else if (exported.state === 'failed') {
        item.querySelector('[data-export-note]').textContent = '';
        result.appendChild(element('span', {'class': 'error'}, exported.error || 'the export failed'));
      }
    }

    function showProgress(event) {
      var item = row(event.export_id);
      if (!item || !BUSY[item.getAttribute('data-state')]) { return; }
      if (item.getAttribute('data-state') === 'pending') {
        item.setAttribute('data-state', 'running');
        item.querySelector('[data-export-state]').textContent = 'running';
      }
      item.querySelector('[data-export-progress]').value = Number(event.progress.done);
      item.querySelector('[data-export-note]').textContent = event.progress.note || '';
    }

    // What changed before this socket could hear it (the page was loading, or the
    // socket was down): read each unfinished export's state once the socket is open.
    function catchUp() {
      list.querySelectorAll('[data-state="pending"], [data-state="running"]').forEach(function (item) {
        var id = Number(item.getAttribute('data-export-id'));
        fetch('/api/exports/' + id, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
          .then(function (response) {
            if (response.status === 404) { item.remove(); return null; }
            return response.ok ? response.json() : null;
          })
          .then(function (exported) { if (exported) { showState(exported); } }, function () {});
      });
    }

    // The page's one /ws socket is app.js's (window.collabSocket); it re-dispatches
    // each frame on document, and `collab:open` after each (re)connection.
    document.addEventListener('collab:open', function () {
      list.setAttribute('data-live', '1');
      catchUp();
    });
    document.addEventListener('collab:close', function () { list.removeAttribute('data-live'); });
    document.addEventListener('collab:event', function (received) {
      var event = received.detail;
      if (event.type === 'export.state') { showState(event.export); }
      else if (event.type === 'export.progress') { showProgress(event); }
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var files = document.getElementById('files');
    var status = document.getElementById('files-status');
    var form = document.getElementById('upload-form');
    if (files && form && status && window.FormData) {
      uploads(form, files, status);
      deletes(files, status, csrf(form));
    }
    var exportsList = document.getElementById('exports');
    if (exportsList) { exportsLive(exportsList); }
  });
}());
