// Keyboard shortcuts of the moderation queue (served as a file: the Content-Security-Policy
// forbids inline script). j/k move, x selects, o or Enter opens, a assigns to me, d decides
// the selected cases (or the current one), ? shows or hides the list of shortcuts, which the
// page also lists for screen readers.
(function () {
  'use strict';
  var rows = Array.prototype.slice.call(document.querySelectorAll('#queue tr.case'));
  var help = document.getElementById('shortcuts');
  var current = -1;

  function typing(e) {
    var t = e.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) && t.type !== 'checkbox');
  }

  function link(row) {
    return row.querySelector('td:first-child a');
  }

  function move(to) {
    if (!rows.length) return;
    if (current >= 0) {
      rows[current].classList.remove('current');
      rows[current].removeAttribute('aria-current');
    }
    current = Math.max(0, Math.min(rows.length - 1, to));
    var row = rows[current];
    row.classList.add('current');
    row.setAttribute('aria-current', 'true');
    link(row).focus();
    row.scrollIntoView({ block: 'nearest' });
  }

  function here() {
    if (current < 0) move(0);
    return rows[current];
  }

  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
    var key = e.key;
    if (key === '?') {
      if (help) {
        help.classList.toggle('shown');
        help.setAttribute('tabindex', '-1');
        help.focus();
      }
      e.preventDefault();
      return;
    }
    if (!rows.length) return;
    if (key === 'j') {
      move(current + 1);
    } else if (key === 'k') {
      move(current - 1);
    } else if (key === 'x') {
      var box = here().querySelector('input.pick');
      box.checked = !box.checked;
    } else if (key === 'o' || (key === 'Enter' && e.target.tagName !== 'A' && e.target.tagName !== 'BUTTON')) {
      window.location.href = link(here()).href;
    } else if (key === 'a') {
      var form = document.getElementById('assign-me');
      form.action = '/console/cases/' + here().getAttribute('data-id') + '/assign';
      form.submit();
    } else if (key === 'd') {
      if (!document.querySelector('#queue input.pick:checked')) {
        here().querySelector('input.pick').checked = true;
      }
      var statement = document.getElementById('bulk-statement');
      statement.scrollIntoView({ block: 'center' });
      statement.focus();
    } else {
      return;
    }
    e.preventDefault();
  });
})();
