/* qnext pages: chart legends, the sample browser, the sample view. Shared by `qnext view` and
   report.html. Every value from a report (model output above all) enters the page through
   textContent or a form value, never as markup. */
(function () {
  'use strict';

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function str(v) {
    if (v === null || v === undefined) return '';
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
  function score(v) {
    return v === null || v === undefined ? '-' : String(Math.round(v * 10000) / 10000);
  }
  function badge(outcome) { return el('span', 'badge o-' + outcome, outcome); }

  /* ---- charts: click a legend entry to hide/show its series -------------------------- */
  function charts() {
    document.querySelectorAll('figure[data-chart]').forEach(function (fig) {
      fig.querySelectorAll('button.key').forEach(function (btn) {
        var sw = btn.querySelector('.sw');
        if (sw) {
          sw.style.borderColor = sw.getAttribute('data-color');
          if (!sw.classList.contains('dash')) sw.style.background = sw.getAttribute('data-color');
        }
        btn.addEventListener('click', function () {
          var off = btn.classList.toggle('off');
          var sel = 'g.series[data-series="' + btn.getAttribute('data-series') + '"]';
          fig.querySelectorAll(sel).forEach(function (g) { g.classList.toggle('off', off); });
        });
      });
    });
  }

  /* ---- one sample, in full ---------------------------------------------------------- */
  function pre(text, cls) { return el('pre', cls || 'text', text); }
  function section(parent, title) {
    var s = el('div', 'part');
    s.appendChild(el('h3', '', title));
    parent.appendChild(s);
    return s;
  }
  function value(v) {
    if (Array.isArray(v) && v.length && v.every(function (x) {
      return x && typeof x === 'object' && !Array.isArray(x);
    })) {
      var cols = [];
      v.forEach(function (x) { Object.keys(x).forEach(function (k) { if (cols.indexOf(k) < 0) cols.push(k); }); });
      var t = el('table', 'data small'), head = el('tr');
      cols.forEach(function (c) { head.appendChild(el('th', '', c)); });
      t.appendChild(el('thead')).appendChild(head);
      var tb = t.appendChild(el('tbody'));
      v.forEach(function (x) {
        var tr = el('tr');
        cols.forEach(function (c) {
          var cell = x[c];
          var td = el('td', cell === true ? 'o-pass-text' : cell === false ? 'o-fail-text' : '', str(cell));
          tr.appendChild(td);
        });
        tb.appendChild(tr);
      });
      return t;
    }
    if (typeof v === 'string') return pre(v, 'text small');
    return pre(JSON.stringify(v, null, 2), 'text small');
  }
  function kv(rows) {
    var t = el('table', 'kv'), tb = t.appendChild(el('tbody'));
    rows.forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === '') return;
      var tr = el('tr');
      tr.appendChild(el('th', '', r[0]));
      var td = el('td');
      if (r[1] instanceof Node) td.appendChild(r[1]); else td.textContent = String(r[1]);
      tr.appendChild(td);
      tb.appendChild(tr);
    });
    return t;
  }
  function renderSample(box, row) {
    box.textContent = '';
    var head = el('div', 'sample-head');
    head.appendChild(el('span', 'sid', row.dataset + ' / ' + row.sample_id + (row.repeat ? ' #r' + row.repeat : '')));
    head.appendChild(badge(row.outcome));
    head.appendChild(el('span', 'dim', 'score ' + score(row.score)));
    box.appendChild(head);

    var ans = el('div', 'answer');
    var ex = el('div', 'ans ' + (row.outcome === 'pass' ? 'good' : 'bad'));
    ex.appendChild(el('div', 'label', 'extracted'));
    ex.appendChild(pre(row.extracted === null || row.extracted === undefined ? '(nothing extracted)' : str(row.extracted), 'mono'));
    var tg = el('div', 'ans target');
    tg.appendChild(el('div', 'label', 'target'));
    tg.appendChild(pre(str(row.target), 'mono'));
    ans.appendChild(ex);
    ans.appendChild(tg);
    box.appendChild(ans);
    if (row.explanation) box.appendChild(el('p', 'explanation', row.explanation));

    var usage = row.usage || {};
    var metrics = Object.keys(row.metrics || {}).map(function (k) {
      var p = row.metrics[k];
      return k + ' ' + (Array.isArray(p) ? p[0] + '/' + p[1] : str(p));
    }).join(', ');
    box.appendChild(kv([
      ['subset', row.subset],
      ['finish reason', row.finish_reason],
      ['latency', row.latency === null || row.latency === undefined ? null : row.latency.toFixed(3) + ' s'],
      ['usage', usage.prompt_tokens === undefined && usage.completion_tokens === undefined ? null :
        'prompt ' + str(usage.prompt_tokens) + ' · completion ' + str(usage.completion_tokens) +
        (usage.total_tokens !== undefined ? ' · total ' + usage.total_tokens : '')],
      ['retries', row.retried && row.retried.length ? row.retried.length + ' (' + row.retried.join(', ') + ')' : '0'],
      ['cached', row.cached ? 'yes' : 'no'],
      ['metrics', metrics]
    ]));

    var prompt = section(box, 'Prompt');
    if (row.messages_state === 'shown') {
      (row.messages || []).forEach(function (m) {
        var msg = el('div', 'msg role-' + String(m.role).replace(/[^a-z]/g, ''));
        msg.appendChild(el('div', 'role', m.role));
        msg.appendChild(pre(m.content));
        prompt.appendChild(msg);
      });
    } else if (row.messages_state === 'withheld') {
      prompt.appendChild(el('p', 'note', 'The prompt of this benchmark is withheld from reports ' +
        '(its text must not be published in plain text). Sample id: ' + row.sample_id + '.'));
    } else {
      prompt.appendChild(el('p', 'note', 'Not recorded: this report was written before prompts ' +
        'were kept in samples.jsonl.'));
    }
    var resp = section(box, 'Response');
    if (row.reasoning) {
      var d = el('details', 'reasoning');
      d.appendChild(el('summary', '', 'reasoning (' + row.reasoning.length + ' characters)'));
      d.appendChild(pre(row.reasoning));
      resp.appendChild(d);
    }
    resp.appendChild(row.prediction ? pre(row.prediction, 'text response') : el('p', 'dim', '(empty response)'));
    var keys = Object.keys(row.details || {});
    if (keys.length) {
      var det = section(box, 'Details');
      det.appendChild(kv(keys.map(function (k) { return [k, value(row.details[k])]; })));
    }
  }
  function samples() {
    document.querySelectorAll('[data-sample]').forEach(function (box) {
      var src = document.getElementById(box.getAttribute('data-sample'));
      renderSample(box, JSON.parse(src.textContent));
    });
  }

  /* ---- the sample browser ----------------------------------------------------------- */
  var FIELDS = ['dataset', 'subset', 'outcome', 'q', 'id', 'score_min', 'score_max'];

  function localSource(rows, notPass, previewChars) {
    var search = rows.map(function (r) {
      var prompt = (r.messages || []).map(function (m) { return m.content; }).join('\n');
      return [r.sample_id, prompt, r.prediction, r.reasoning, str(r.extracted)].join('\n').toLowerCase();
    });
    var previews = rows.map(function (r, i) {
      var text = r.prediction || r.reasoning || '';
      return {dataset: r.dataset, subset: r.subset, sample_id: r.sample_id, repeat: r.repeat,
        outcome: r.outcome, score: r.score, extracted: r.extracted, target: r.target,
        preview: text.slice(0, previewChars), chars: text.length, i: i};
    });
    function outcomeOk(want, o) {
      if (!want) return true;
      if (want === notPass) return o !== 'pass' && o !== 'skipped';
      return o === want;
    }
    function num(v) { return v === '' || v === undefined ? null : Number(v); }
    return {
      list: function (f, offset, limit, done) {
        var text = (f.q || '').trim().toLowerCase(), lo = num(f.score_min), hi = num(f.score_max);
        var counts = {dataset: {}, subset: {}, outcome: {}}, hits = [];
        var facets = ['dataset', 'subset', 'outcome'];
        rows.forEach(function (r, i) {
          if (f.id && r.sample_id.indexOf(f.id.trim()) < 0) return;
          if (lo !== null && (r.score === null || r.score < lo)) return;
          if (hi !== null && (r.score === null || r.score > hi)) return;
          if (text && search[i].indexOf(text) < 0) return;
          var miss = [!!f.dataset && r.dataset !== f.dataset, !!f.subset && r.subset !== f.subset,
            !outcomeOk(f.outcome, r.outcome)];
          var failed = miss.filter(Boolean).length;
          if (failed === 0) {
            hits.push(i);
            facets.forEach(function (k) { counts[k][r[k]] = (counts[k][r[k]] || 0) + 1; });
          } else if (failed === 1) {
            var k = facets[miss.indexOf(true)];
            counts[k][r[k]] = (counts[k][r[k]] || 0) + 1;
          }
        });
        offset = Math.max(0, Math.min(offset, Math.max(hits.length - 1, 0)));
        done({total: hits.length, offset: offset, size: rows.length, counts: counts,
          rows: hits.slice(offset, offset + limit).map(function (i) { return previews[i]; })});
      },
      row: function (p) { return rows[p.i]; }
    };
  }

  function apiSource(run) {
    return {
      list: function (f, offset, limit, done, fail) {
        var q = new URLSearchParams({run: run, offset: offset, limit: limit});
        FIELDS.forEach(function (k) { if (f[k]) q.set(k, f[k]); });
        fetch('/api/samples?' + q.toString()).then(function (r) {
          return r.json().then(function (body) { if (!r.ok) throw new Error(body.error || r.status); return body; });
        }).then(done, fail);
      },
      href: function (p) {
        return '/sample?' + new URLSearchParams({run: run, dataset: p.dataset, id: p.sample_id, repeat: p.repeat}).toString();
      }
    };
  }

  function browser(root) {
    var mode = root.getAttribute('data-mode');
    var outcomes = root.getAttribute('data-outcomes').split(',');
    var notPass = root.getAttribute('data-not-pass');
    var previewChars = Number(root.getAttribute('data-preview-chars'));
    var form = root.querySelector('#filters');
    var body = root.querySelector('#samples-body'), info = root.querySelector('#samples-info');
    var pageInfo = root.querySelector('#page-info'), prev = root.querySelector('#prev');
    var next = root.querySelector('#next'), chips = root.querySelector('#chips');
    var source = mode === 'api' ? apiSource(root.getAttribute('data-run')) :
      localSource(JSON.parse(document.getElementById('qnext-rows').textContent), notPass, previewChars);
    var offset = 0, seq = 0, timer = null, last = null;

    var params = new URLSearchParams(mode === 'api' ? location.search : location.hash.slice(1));
    FIELDS.concat(['limit']).forEach(function (k) {
      var v = params.get(k);
      if (v === null || !form.elements[k]) return;
      var input = form.elements[k];
      if (input.tagName === 'SELECT' && !Array.prototype.some.call(input.options, function (o) { return o.value === v; })) {
        input.appendChild(new Option(v, v));
      }
      input.value = v;
    });
    offset = Number(params.get('offset')) || 0;

    function filters() {
      var f = {};
      FIELDS.forEach(function (k) { f[k] = form.elements[k].value; });
      return f;
    }
    function sync(f, limit) {
      var q = new URLSearchParams();
      if (mode === 'api') q.set('run', root.getAttribute('data-run'));
      FIELDS.forEach(function (k) { if (f[k]) q.set(k, f[k]); });
      if (offset) q.set('offset', offset);
      if (limit !== 50) q.set('limit', limit);
      if (mode === 'api') history.replaceState(null, '', '?' + q.toString());
      else history.replaceState(null, '', '#' + q.toString());
    }
    function options(select, counts, labels) {
      var keep = select.value, all = select.options[0];
      select.textContent = '';
      select.appendChild(all);
      var values = labels || Object.keys(counts);
      if (keep && values.indexOf(keep) < 0) values = values.concat([keep]);
      values.forEach(function (v) {
        var n = v === notPass ? null : (counts[v] || 0);
        var text = (v === notPass ? 'not pass' : v) + (n === null ? '' : ' (' + n + ')');
        select.appendChild(new Option(text, v));
      });
      select.value = keep;
    }
    function cell(tr, text, cls) { var td = el('td', cls || '', text); tr.appendChild(td); return td; }
    function row(p) {
      var tr = el('tr', 'row');
      cell(tr, p.dataset);
      var idCell = el('td');
      var a = el('a', 'sample-link', p.sample_id + (p.repeat ? ' #r' + p.repeat : ''));
      a.href = source.href ? source.href(p) : '#';
      idCell.appendChild(a);
      tr.appendChild(idCell);
      cell(tr, p.subset, 'dim');
      var oc = el('td'); oc.appendChild(badge(p.outcome)); tr.appendChild(oc);
      cell(tr, score(p.score), 'num');
      cell(tr, p.extracted === null || p.extracted === undefined ? '' : str(p.extracted), 'mono');
      cell(tr, str(p.target), 'mono');
      cell(tr, p.preview + (p.chars > p.preview.length ? ' …' : ''), 'preview');
      body.appendChild(tr);
      if (!source.href) {
        a.addEventListener('click', function (ev) {
          ev.preventDefault();
          var open = tr.nextSibling && tr.nextSibling.classList && tr.nextSibling.classList.contains('detail');
          if (open) { body.removeChild(tr.nextSibling); return; }
          var dtr = el('tr', 'detail'), td = el('td');
          td.colSpan = 8;
          var box = el('div', 'sample');
          renderSample(box, source.row(p));
          td.appendChild(box);
          dtr.appendChild(td);
          body.insertBefore(dtr, tr.nextSibling);
        });
      }
    }
    function render(page, f, limit) {
      last = page;
      options(form.elements.dataset, page.counts.dataset);
      options(form.elements.subset, page.counts.subset);
      var oc = {};
      Object.keys(page.counts.outcome).forEach(function (k) { oc[k] = page.counts.outcome[k]; });
      options(form.elements.outcome, oc, outcomes.concat([notPass]));
      chips.textContent = '';
      outcomes.forEach(function (o) {
        var n = page.counts.outcome[o] || 0;
        if (!n) return;
        var b = el('button', 'chip o-' + o + (f.outcome === o ? ' on' : ''), o + ' ' + n);
        b.type = 'button';
        b.addEventListener('click', function () {
          form.elements.outcome.value = f.outcome === o ? '' : o;
          refresh(true);
        });
        chips.appendChild(b);
      });
      body.textContent = '';
      page.rows.forEach(row);
      offset = page.offset;
      var from = page.total ? page.offset + 1 : 0, to = page.offset + page.rows.length;
      info.textContent = page.total + ' of ' + page.size + ' samples match; showing ' + from + '–' + to;
      var pages = Math.max(1, Math.ceil(page.total / limit));
      pageInfo.textContent = 'page ' + (Math.floor(page.offset / limit) + 1) + ' of ' + pages;
      prev.disabled = page.offset <= 0;
      next.disabled = page.offset + limit >= page.total;
      root.setAttribute('data-ready', '1');
    }
    function refresh(reset) {
      if (reset) offset = 0;
      var f = filters(), limit = Number(form.elements.limit.value), token = ++seq;
      sync(f, limit);
      source.list(f, offset, limit, function (page) {
        if (token === seq) render(page, f, limit);
      }, function (err) { info.textContent = 'could not load samples: ' + err.message; });
    }
    form.addEventListener('change', function (ev) {
      // text and number fields refresh on input; their change (on blur) would only redraw
      if (ev.target.tagName === 'SELECT') refresh(true);
    });
    form.addEventListener('input', function (ev) {
      if (ev.target.tagName !== 'INPUT') return;
      clearTimeout(timer);
      timer = setTimeout(function () { refresh(true); }, 250);
    });
    form.addEventListener('submit', function (ev) { ev.preventDefault(); refresh(true); });
    prev.addEventListener('click', function () {
      offset = Math.max(0, offset - Number(form.elements.limit.value)); refresh(false);
    });
    next.addEventListener('click', function () {
      if (last && offset + Number(form.elements.limit.value) < last.total) {
        offset += Number(form.elements.limit.value); refresh(false);
      }
    });
    refresh(false);
  }

  /* ---- small page helpers ----------------------------------------------------------- */
  function autosubmit() {
    document.querySelectorAll('select[data-autosubmit]').forEach(function (s) {
      s.addEventListener('change', function () { s.form.submit(); });
    });
    var pick = document.getElementById('pick');
    if (pick) {
      pick.addEventListener('change', function (ev) {
        var on = pick.querySelectorAll('input[name=run]:checked');
        if (on.length > 3) { ev.target.checked = false; }
      });
    }
  }

  charts();
  samples();
  autosubmit();
  var root = document.getElementById('qnext-browser');
  if (root) browser(root);
  window.qnextReady = true;
}());
