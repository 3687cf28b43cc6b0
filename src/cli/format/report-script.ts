// The report page's style and script, inlined by report-html.ts (the page's
// Content-Security-Policy allows inline code only). The script builds the
// matrix from the embedded data (report-encode.ts), so the file holds each
// pair as a number, not as markup; it rebuilds it when a namespace is
// collapsed or expanded, a filter changes, or "show only changed" is ticked.
// Every name comes from the manifests: the script writes text with
// textContent only, never as markup.

export const REPORT_CSS = `
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:separate;border-spacing:0}
td,th{border:1px solid #ccc;border-width:0 1px 1px 0;padding:2px 6px;font-size:13px}
/* Painting 40,000 cells is what takes time: changes outside the matrix do not repaint it
   (containment), and a change in one row repaints that row only (each row its own layer). */
#matrix-wrap{contain:content;overflow:auto;max-height:78vh;max-width:100%;border:1px solid #999;display:inline-block}
#matrix tbody tr{will-change:transform}
/* A fixed layout (widths from the cols, not from 40,000 cells' contents) keeps drawing a 200x200 matrix quick. */
#matrix{table-layout:fixed;font-size:13px;--cw:2em;width:calc(var(--rowhead) + var(--cols) * var(--cw))}
#matrix col.r{width:var(--rowhead)}#matrix col.c{width:var(--cw)}
#matrix td,#matrix th{font-size:inherit}
#matrix thead th{position:sticky;top:0;background:#fff;z-index:2}
#matrix thead tr.cols th{top:var(--head1,1.6em)}
#matrix th.row{position:sticky;left:0;background:#fff;z-index:1;text-align:right;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#matrix thead th.corner{left:0;z-index:3}
#matrix th.ns{background:#eef;text-align:left;cursor:pointer;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#matrix th.row.ns{background:#eef;text-align:left}
#matrix th.col{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:normal;overflow:hidden}
#matrix .gs{border-left:2px solid #777}
#matrix tr.gs>*{border-top:2px solid #777}
#matrix th.appeared{color:#0b4fa8;font-weight:bold}
td.cell{text-align:center;cursor:pointer;overflow:hidden;white-space:nowrap}
td.allowed{background:#c8efc8}td.partial{background:#fbe7a1}td.denied{background:#f5b7b1}
td.self,td.na{background:#eee;cursor:default}
td.agg{font-style:italic}
td.chg-add{box-shadow:inset 0 0 0 2px #0b4fa8}
td.chg-del{box-shadow:inset 0 0 0 2px #222}
td.chg-both{box-shadow:inset 0 0 0 2px #7b1fa2}
td.cell b{color:#0b4fa8}td.chg-del b{color:#222}td.chg-both b{color:#7b1fa2}
td.faded{opacity:.35}
td.selected{outline:3px solid #333;outline-offset:-3px}
#matrix.compact{font-size:11px;--cw:1.8em}
#matrix.compact td,#matrix.compact th{padding:0 2px}
#matrix.dense{font-size:8px;--cw:1.25em}
#matrix.dense td,#matrix.dense th{padding:0;line-height:10px}
#matrix.dense td.cell{font-size:0;height:10px}
#matrix.dense td.cell b{font-size:9px;line-height:8px}
#controls{margin:.5em 0;display:flex;flex-wrap:wrap;gap:.4em 1.2em;align-items:center}
#trace,#change{white-space:pre-wrap;background:#f6f6f6;border:1px solid #ccc;padding:.8em;font-family:ui-monospace,monospace;font-size:13px}
#trace{min-height:3em}
#change{background:#eef3fb}
.legend span{display:inline-block;padding:0 .6em;margin-right:.4em;border:1px solid #ccc}
.warning{color:#a40}.info{color:#246}
#fail-closed{border:2px solid #a40;background:#fff4ec;padding:.5em 1em}
#changes{border:2px solid #0b4fa8;background:#f4f8fe;padding:.2em 1em 1em}
#change-list tr{cursor:pointer}#change-list td{white-space:nowrap}
`;

// The verdict marks and the change marks: a symbol beside each colour, so
// neither is told by colour alone.
export const REPORT_SCRIPT = String.raw`
(function(){
  'use strict';
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var S = D.strings, E = D.endpoints, n = E.length;
  var MARK = {allowed:'✓', partial:'◐', denied:'✗', self:'·', 'n/a':'-'};
  var CLS = {allowed:'allowed', partial:'partial', denied:'denied', self:'self', 'n/a':'na'};
  var SYM = {add:'+', del:'−', both:'±'};
  var WORD = {add:'newly allowed', del:'no longer allowed', both:'changed: some newly allowed, some no longer'};
  var wrap = document.getElementById('matrix-wrap');
  var head = document.getElementById('trace-head');
  var out = document.getElementById('trace');
  var change = document.getElementById('change');
  var shown = document.getElementById('shown');
  var onlyChanged = document.getElementById('only-changed');
  var density = document.getElementById('density');
  var fromBox = document.getElementById('filter-from'), toBox = document.getElementById('filter-to');
  var state = {collapsed:{}, from:'', to:'', only:false, selected:null};

  var changes = {}, involvedFrom = {}, involvedTo = {};
  D.changes.forEach(function(c){
    var K = D.changeKinds[c[2]];
    changes[c[0]*n + c[1]] = {before:S[K[0]], after:S[K[1]], added:S[K[2]], removed:S[K[3]], mark:K[4]};
    involvedFrom[c[0]] = true; involvedTo[c[1]] = true;
  });
  D.appeared.forEach(function(i){ involvedFrom[i] = true; involvedTo[i] = true; });
  var appeared = {}; D.appeared.forEach(function(i){ appeared[i] = true; });

  var groups = [];
  E.forEach(function(e, i){
    var last = groups[groups.length - 1];
    if (last && last.ns === e.namespace) last.members.push(i); else groups.push({ns:e.namespace, members:[i]});
  });
  function nsLabel(ns){ return ns === '' ? '(addresses)' : ns; }

  function cell(i, j){
    var c = D.cells[i][j], k, f, t;
    if (typeof c === 'number') { k = c; f = D.rowVec[i]; t = D.colVec[j]; } else { k = c[0]; f = c[1]; t = c[2]; }
    var K = D.kinds[k];
    return {verdict:K[0], connections:S[K[1]], probe:K[2] < 0 ? null : S[K[2]], template:K[3], raw:K[4] === 1, f:f, t:t};
  }
  // A template's slots (U+E000+k: the flow's source's k-th string; U+E100+k: its destination's) filled.
  function traceText(c){
    if (c.template < 0) return null;
    var text = D.templates[c.template].map(function(l){ return S[l]; }).join('\n');
    if (c.raw) return text;
    var fv = c.f < 0 ? [] : D.vectors[c.f], tv = c.t < 0 ? [] : D.vectors[c.t];
    return text.replace(/[\uE000-\uE1FF]/g, function(ch){
      var code = ch.charCodeAt(0);
      var v = code >= 0xE100 ? tv[code - 0xE100] : fv[code - 0xE000];
      return v === undefined ? ch : S[v];
    });
  }

  function matches(i, q){ return q === '' || E[i].id.toLowerCase().indexOf(q) >= 0; }
  // Rows (side "from") or columns ("to"): one entry per endpoint, or one per collapsed namespace.
  function axis(q, involved){
    var entries = [];
    groups.forEach(function(g, gi){
      var members = g.members.filter(function(i){ return matches(i, q) && (!state.only || involved[i]); });
      if (members.length === 0) return;
      if (state.collapsed[g.ns]) entries.push({g:gi, members:members, first:true});
      else members.forEach(function(i, k){ entries.push({g:gi, i:i, first:k === 0}); });
    });
    return entries;
  }
  function membersOf(e){ return e.members || [e.i]; }

  // A collapsed namespace's cell: allowed or denied when every pair is, else partial; changed when any pair is.
  function aggregate(r, c){
    var counts = {allowed:0, partial:0, denied:0}, changed = 0, marks = {};
    membersOf(r).forEach(function(i){ membersOf(c).forEach(function(j){
      var v = cell(i, j).verdict;
      if (counts[v] !== undefined) counts[v]++;
      var ch = changes[i*n + j];
      if (ch) { changed++; marks[ch.mark] = true; }
    }); });
    var total = counts.allowed + counts.partial + counts.denied;
    var verdict = total === 0 ? 'n/a' : counts.allowed === total ? 'allowed' : counts.denied === total ? 'denied' : 'partial';
    var mark = changed === 0 ? null : marks.both || (marks.add && marks.del) ? 'both' : marks.add ? 'add' : 'del';
    return {verdict:verdict, counts:counts, changed:changed, mark:mark};
  }

  function th(text, cls){ var h = document.createElement('th'); h.textContent = text; if (cls) h.className = cls; return h; }
  function fillCell(td, verdict, mark){
    td.className = 'cell ' + CLS[verdict] + (mark ? ' chg-' + mark : '') + (state.only && !mark ? ' faded' : '');
    td.textContent = MARK[verdict];
    if (mark) { var b = document.createElement('b'); b.textContent = SYM[mark]; td.appendChild(b); }
  }

  var rows = [], cols = [];
  function render(){
    rows = axis(state.from, involvedFrom); cols = axis(state.to, involvedTo);
    var table = document.createElement('table');
    table.id = 'matrix'; table.className = density.value;
    // Row headers are bold: a character is wider than the font's "0" (1ch).
    var widest = rows.reduce(function(w, r){ return Math.max(w, r.members ? nsLabel(groups[r.g].ns).length + String(r.members.length).length + 5 : E[r.i].id.length + 2); }, 8);
    table.style.setProperty('--rowhead', Math.min(Math.ceil(widest * 1.15), 56) + 'ch');
    table.style.setProperty('--cols', String(cols.length));
    var cg = document.createElement('colgroup'), c0 = document.createElement('col'), cn = document.createElement('col');
    c0.className = 'r'; cn.className = 'c'; cn.span = Math.max(cols.length, 1);
    cg.appendChild(c0); if (cols.length > 0) cg.appendChild(cn);
    table.appendChild(cg);
    var thead = table.createTHead();
    var r1 = thead.insertRow(), r2 = thead.insertRow();
    r2.className = 'cols';
    var corner = th('from \\ to', 'corner'); corner.rowSpan = 2; r1.appendChild(corner);
    cols.forEach(function(c, k){
      var g = groups[c.g];
      if (c.first) {
        var span = 1; while (k + span < cols.length && cols[k + span].g === c.g) span++;
        // A collapsed namespace is one column: its name goes in the column's own (vertical) header.
        var h = th(state.collapsed[g.ns] ? '▸' : '▾ ' + nsLabel(g.ns), 'ns gs');
        h.colSpan = span; h.dataset.ns = g.ns; h.title = (state.collapsed[g.ns] ? 'expand ' : 'collapse ') + nsLabel(g.ns);
        r1.appendChild(h);
      }
      var name = c.members ? nsLabel(g.ns) + ' (' + c.members.length + ')' : (appeared[c.i] ? '+ ' : '') + E[c.i].name;
      var col = th(name, 'col' + (c.first ? ' gs' : '') + (c.i !== undefined && appeared[c.i] ? ' appeared' : ''));
      col.title = c.members ? nsLabel(g.ns) + ': ' + c.members.length + ' collapsed (click to expand)' : E[c.i].id + (appeared[c.i] ? ' (appeared)' : '');
      if (c.members) col.dataset.ns = g.ns;
      r2.appendChild(col);
    });
    var body = table.createTBody();
    rows.forEach(function(r){
      var tr = body.insertRow();
      if (r.first) tr.className = 'gs';
      var g = groups[r.g], rh;
      if (r.members) { rh = th('▸ ' + nsLabel(g.ns) + ' (' + r.members.length + ')', 'row ns'); rh.dataset.ns = g.ns; }
      else { rh = th((appeared[r.i] ? '+ ' : '') + E[r.i].id, 'row' + (appeared[r.i] ? ' appeared' : '')); }
      tr.appendChild(rh);
      cols.forEach(function(c, k){
        var td = tr.insertCell();
        if (r.members || c.members) {
          var a = aggregate(r, c);
          fillCell(td, a.verdict, a.mark);
          td.classList.add('agg');
          td.dataset.agg = rows.indexOf(r) + ':' + k;
        } else {
          var ch = changes[r.i*n + c.i];
          fillCell(td, cell(r.i, c.i).verdict, ch ? ch.mark : null);
          td.dataset.from = r.i; td.dataset.to = c.i;
        }
        if (c.first) td.classList.add('gs');
      });
    });
    wrap.replaceChildren(table);
    table.style.setProperty('--head1', r1.getBoundingClientRect().height + 'px');
    shown.textContent = 'showing ' + rows.length + ' rows × ' + cols.length + ' columns of ' + n + ' × ' + n;
    if (state.selected) {
      var sel = wrap.querySelector('td[data-from="' + state.selected[0] + '"][data-to="' + state.selected[1] + '"]');
      if (sel) sel.classList.add('selected');
    }
  }

  function select(td){
    var old = wrap.querySelector('td.selected');
    if (old) old.classList.remove('selected');
    td.classList.add('selected');
  }
  function showPair(i, j){
    var c = cell(i, j), ch = changes[i*n + j];
    state.selected = [i, j];
    var text = traceText(c);
    head.textContent = E[i].id + ' -> ' + E[j].id + ': ' + c.verdict + (c.verdict === 'self' || c.verdict === 'n/a' ? '' : ' (allowed: ' + c.connections + ')')
      + (c.probe === null ? '' : '; trace for ' + c.probe);
    if (ch) {
      change.hidden = false;
      change.textContent = SYM[ch.mark] + ' ' + WORD[ch.mark] + '\nbefore:  ' + ch.before + '\nafter:   ' + ch.after
        + '\nadded:   ' + ch.added + '\nremoved: ' + ch.removed;
    } else { change.hidden = true; change.textContent = ''; }
    out.textContent = text === null ? '' : text;
  }
  function showAggregate(r, c){
    var a = aggregate(r, c);
    state.selected = null;
    var name = function(e){ return e.members ? nsLabel(groups[e.g].ns) + ' (' + e.members.length + ')' : E[e.i].id; };
    head.textContent = name(r) + ' -> ' + name(c) + ': ' + a.verdict;
    change.hidden = a.changed === 0;
    change.textContent = a.changed === 0 ? '' : a.changed + ' changed pair' + (a.changed === 1 ? '' : 's');
    out.textContent = a.counts.allowed + ' pairs allowed, ' + a.counts.partial + ' partial, ' + a.counts.denied
      + ' denied. Expand the namespace (click its name) for each pair and its trace.';
  }

  wrap.addEventListener('click', function(ev){
    var ns = ev.target.closest('th[data-ns]');
    if (ns) { state.collapsed[ns.dataset.ns] = !state.collapsed[ns.dataset.ns]; render(); return; }
    var td = ev.target.closest('td.cell');
    if (!td) return;
    select(td);
    if (td.dataset.agg) { var rc = td.dataset.agg.split(':'); showAggregate(rows[+rc[0]], cols[+rc[1]]); }
    else showPair(+td.dataset.from, +td.dataset.to);
  });
  // The tooltip is written when the pointer first rests on a cell: 40,000 titles would double the page.
  wrap.addEventListener('mouseover', function(ev){
    var td = ev.target.closest('td.cell');
    if (!td || td.title || td.dataset.from === undefined) return;
    var i = +td.dataset.from, j = +td.dataset.to, c = cell(i, j), ch = changes[i*n + j];
    td.title = E[i].id + ' -> ' + E[j].id + ': ' + c.verdict + ' (' + c.connections + ')' + (ch ? '; ' + WORD[ch.mark] + ': ' + (ch.mark === 'del' ? ch.removed : ch.added) : '');
  });

  var timer = null;
  function refilter(){
    clearTimeout(timer);
    timer = setTimeout(function(){ state.from = fromBox.value.trim().toLowerCase(); state.to = toBox.value.trim().toLowerCase(); render(); }, 120);
  }
  fromBox.addEventListener('input', refilter); toBox.addEventListener('input', refilter);
  density.addEventListener('change', render);
  if (onlyChanged) onlyChanged.addEventListener('change', function(){ state.only = onlyChanged.checked; render(); });
  document.getElementById('collapse-all').addEventListener('click', function(){ groups.forEach(function(g){ state.collapsed[g.ns] = true; }); render(); });
  document.getElementById('expand-all').addEventListener('click', function(){ state.collapsed = {}; render(); });
  // A row of the change list selects its pair in the matrix, showing it first if it is collapsed or filtered out.
  var list = document.getElementById('change-list');
  if (list) list.addEventListener('click', function(ev){
    var tr = ev.target.closest('tr[data-from]');
    if (!tr) return;
    var i = tr.dataset.from, j = tr.dataset.to;
    var q = 'td[data-from="' + i + '"][data-to="' + j + '"]';
    if (!wrap.querySelector(q)) {
      state.collapsed = {}; state.from = state.to = ''; fromBox.value = toBox.value = ''; render();
    }
    var td = wrap.querySelector(q);
    if (td) { select(td); showPair(+i, +j); td.scrollIntoView({block:'center', inline:'center'}); }
  });
  // Past 200 workloads the page opens on the namespaces, collapsed: 40,000 cells are drawn in a second or two, 160,000 are not.
  if (n > 200) groups.forEach(function(g){ state.collapsed[g.ns] = true; });
  render();
})();
`;
