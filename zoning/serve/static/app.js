/* zoning serve: the planner's page. Talks only to this server's /api (docs/api.md). */
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const VERDICT = {
    prohibited: '禁止 / Prohibited',
    needs_info: '需补充信息 / Needs information',
    conditional: '有条件允许 / Conditional',
    allowed: '允许 / Allowed',
  };
  const VCOLOR = { prohibited: '#b2182b', needs_info: '#636363', conditional: '#d6604d', allowed: '#1a9850', nearby: '#7570b3' };
  const state = { types: [], type: null, rules: {}, layerIndex: null, kinds: {}, result: null, file: null };

  /* ------------------------------------------------------------ small DOM helpers (no innerHTML) */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'className') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function fmt(x, nd) {
    if (x === null || x === undefined || Number.isNaN(x)) return '';
    return Number(x).toLocaleString('zh-CN', { maximumFractionDigits: nd === undefined ? 0 : nd });
  }
  function badge(v) { return el('span', { className: 'verdict v-' + v, text: VERDICT[v] || v }); }
  function setStatus(text, isError) {
    const s = $('status');
    s.textContent = text || '';
    s.className = 'status' + (isError ? ' error' : '');
  }

  async function api(path, options) {
    const r = await fetch(path, Object.assign({ credentials: 'same-origin' }, options || {}));
    const text = await r.text();
    let body = null;
    try { body = JSON.parse(text); } catch (e) { body = null; }
    if (!r.ok) {
      const err = body && body.error ? body.error : { code: String(r.status), message: text };
      const e = new Error(err.message);
      e.code = err.code; e.status = r.status;
      throw e;
    }
    return body;
  }

  /* ------------------------------------------------------------ the map */
  const map = L.map('map', { zoomControl: true, preferCanvas: true, minZoom: 5 }).setView([37.7, 112.3], 7);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution('仅供规划分析，非正式地图 / For planning analysis, not an official map');
  L.control.scale({ imperial: false }).addTo(map);

  const drawn = new L.FeatureGroup().addTo(map);
  const resultLayer = L.featureGroup();
  const siteStyle = { color: '#1f78b4', weight: 3, fillOpacity: 0.15 };
  if (L.drawLocal) {
    L.drawLocal.draw.toolbar.buttons.polygon = '绘制面 / Draw a polygon';
    L.drawLocal.draw.toolbar.buttons.polyline = '绘制线 / Draw a line';
    L.drawLocal.draw.toolbar.buttons.rectangle = '绘制矩形 / Draw a rectangle';
    L.drawLocal.draw.toolbar.buttons.circlemarker = '绘制点 / Draw a point';
  }
  map.addControl(new L.Control.Draw({
    position: 'topleft',
    draw: {
      polygon: { allowIntersection: false, showArea: false, shapeOptions: siteStyle },
      polyline: { shapeOptions: siteStyle },
      rectangle: { showArea: false, shapeOptions: siteStyle },
      circlemarker: { color: '#1f78b4', radius: 7 },
      circle: false,
      marker: false,
    },
    edit: { featureGroup: drawn },
  }));
  map.on(L.Draw.Event.CREATED, (e) => {
    drawn.clearLayers();
    drawn.addLayer(e.layer);
    state.file = null;
    $('file').value = '';
    siteChanged();
  });
  map.on(L.Draw.Event.EDITED, siteChanged);
  map.on(L.Draw.Event.DELETED, siteChanged);

  function drawnSite() {
    const fc = drawn.toGeoJSON();
    fc.features.forEach((f, i) => { f.properties = { site_id: fc.features.length > 1 ? '绘制 ' + (i + 1) : '绘制站点' }; });
    return fc.features.length ? fc : null;
  }

  function siteChanged() {
    const info = $('site-info');
    if (state.file) info.textContent = '文件 / File: ' + state.file.name;
    else if (drawn.getLayers().length) {
      const g = drawn.toGeoJSON().features[0].geometry.type;
      info.textContent = '已绘制 / Drawn: ' + g;
    } else info.textContent = '尚无站点 / No site yet';
    $('screen').disabled = !(state.type && (state.file || drawn.getLayers().length));
  }

  /* ------------------------------------------------------------ catalogue layers (the cartography of `zoning map`) */
  function zoneStyle(kind, zone) {
    const k = state.kinds[kind];
    const z = k && k.info.zones.find((x) => x.zone === zone);
    return z ? z.style : { color: '#3388ff', fillColor: '#3388ff', weight: 1, fillOpacity: 0.3 };
  }
  function popupFor(kind, props) {
    const rows = [
      ['名称 / Name', props.name || ''],
      ['图层 / Layer', state.kinds[kind] ? state.kinds[kind].info.label : kind],
      ['分区 / Zone', props.zone_label || props.zone || ''],
      ['编号 / ID', props.feature_id || ''],
    ];
    return el('table', { className: 'popup-table' }, rows.map(([a, b]) => el('tr', {}, el('td', { text: a }), el('td', { text: b }))));
  }

  async function loadKind(kind) {
    const k = state.kinds[kind];
    if (k.layer || k.loading) return k.loading;
    k.loading = (async () => {
      const data = await api('/api/layers/' + encodeURIComponent(kind) + '.geojson');
      k.layer = L.geoJSON(data, {
        pane: k.pane,
        renderer: k.renderer,
        style: (f) => zoneStyle(kind, f.properties.zone),
        pointToLayer: (f, latlng) => L.circleMarker(latlng, Object.assign({ radius: 5, renderer: k.renderer, pane: k.pane }, zoneStyle(kind, f.properties.zone))),
        onEachFeature: (f, layer) => { layer.bindPopup(() => popupFor(kind, f.properties)); },
      });
      k.byId = {};
      k.layer.eachLayer((l) => { k.byId[l.feature.properties.feature_id] = l; });
    })();
    return k.loading;
  }
  async function setVisible(kind, on) {
    const k = state.kinds[kind];
    k.checkbox.checked = on;
    k.checkbox.closest('.layer').classList.toggle('off', !on);
    if (on) {
      await loadKind(kind);
      if (k.checkbox.checked) k.layer.addTo(map);
    } else if (k.layer) map.removeLayer(k.layer);
  }

  async function loadLayers() {
    const index = await api('/api/layers');
    state.layerIndex = index;
    const list = clear($('layer-list'));
    index.layers.forEach((info, i) => {
      const pane = map.createPane('kind-' + info.kind);
      pane.style.zIndex = String(380 + i);
      const checkbox = el('input', { type: 'checkbox', 'data-kind': info.kind });
      state.kinds[info.kind] = { info, pane: 'kind-' + info.kind, renderer: L.canvas({ pane: 'kind-' + info.kind }), checkbox, layer: null };
      checkbox.addEventListener('change', () => setVisible(info.kind, checkbox.checked).catch(showError));
      const zones = el('div', { className: 'zones' }, info.zones.map((z) => {
        const sw = el('span', { className: 'swatch' });
        sw.style.background = z.style.fill === false ? 'transparent' : z.style.fillColor;
        sw.style.borderColor = z.style.color;
        return el('div', {}, sw, z.label);
      }));
      const row = el('div', { className: 'layer' }, el('label', {}, checkbox, ' ' + info.label + ' (' + info.features + ')'), zones);
      checkbox.addEventListener('change', () => row.classList.toggle('off', !checkbox.checked));
      row.classList.add('off');
      list.appendChild(row);
    });
    // layers in reverse: the panel lists the top layer first
    const items = Array.from(list.children).reverse();
    clear(list); items.forEach((x) => list.appendChild(x));
    if (index.bounds) map.fitBounds([[index.bounds[1], index.bounds[0]], [index.bounds[3], index.bounds[2]]]);
    await Promise.all(index.layers.filter((x) => x.visible).map((x) => setVisible(x.kind, true)));
  }

  let searchTimer = null;
  $('feature-search').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(async () => {
      const q = $('feature-search').value.trim();
      const out = clear($('search-results'));
      if (!q) return;
      const res = await api('/api/search?q=' + encodeURIComponent(q));
      if (!res.features.length) out.appendChild(el('li', { text: '无结果 / nothing found' }));
      res.features.forEach((f) => {
        const label = (f.name || f.feature_id) + ' · ' + (state.kinds[f.kind] ? state.kinds[f.kind].info.label.split(' / ')[0] : f.kind);
        out.appendChild(el('li', {
          text: label,
          onclick: async () => {
            const b = f.bounds;
            map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { maxZoom: 14 });
            await setVisible(f.kind, true);
            const l = state.kinds[f.kind].byId[f.feature_id];
            if (l) l.openPopup(L.latLng((b[1] + b[3]) / 2, (b[0] + b[2]) / 2));
          },
        }));
      });
    }, 250);
  });

  $('layers-toggle').addEventListener('click', () => $('layers-panel').classList.toggle('folded'));

  $('export-view').addEventListener('click', () => {
    const kinds = Object.keys(state.kinds).filter((k) => state.kinds[k].checkbox.checked);
    $('export-view').href = '/api/map.html?kinds=' + encodeURIComponent(kinds.join(',')) + '&bbox=' + encodeURIComponent(map.getBounds().toBBoxString());
  });

  /* ------------------------------------------------------------ project types and attributes */
  function renderTypes() {
    const q = $('type-search').value.trim().toLowerCase();
    const sel = clear($('type'));
    state.types.forEach((t) => {
      const hay = [t.id, t.name_zh, t.name_en, ...(t.aliases || [])].join(' ').toLowerCase();
      if (q && !hay.includes(q)) return;
      sel.appendChild(el('option', { value: t.id, text: t.name_zh + ' / ' + t.name_en + ' (' + t.id + ')', selected: state.type && state.type.id === t.id }));
    });
  }
  function chooseType(id) {
    state.type = state.types.find((t) => t.id === id) || null;
    const info = $('type-info');
    if (!state.type) { info.textContent = ''; renderAttrs([]); siteChanged(); return; }
    info.textContent = '类别 / Categories: ' + state.type.categories.map((c) => c.name_zh + ' / ' + c.name_en).join('; ');
    renderAttrs([]);
    siteChanged();
  }
  function renderAttrs(asked) {
    const box = clear($('attrs'));
    const attrs = state.type ? state.type.attributes : [];
    $('attrs-section').classList.toggle('hidden', attrs.length === 0);
    attrs.forEach((a) => {
      let input;
      const dflt = a.default === null || a.default === undefined ? '未知 / unknown' : String(a.default);
      if (a.type === 'bool') {
        input = el('select', { 'data-attr': a.id },
          el('option', { value: '', text: '默认 / default: ' + dflt }),
          el('option', { value: 'true', text: '是 / yes' }),
          el('option', { value: 'false', text: '否 / no' }));
      } else if (a.type === 'choice') {
        input = el('select', { 'data-attr': a.id }, el('option', { value: '', text: '默认 / default: ' + dflt }), a.choices.map((c) => el('option', { value: c, text: c })));
      } else {
        input = el('input', { type: 'number', step: 'any', 'data-attr': a.id, placeholder: dflt + (a.unit ? ' ' + a.unit : '') });
      }
      const prev = state.answers && state.answers[a.id];
      if (prev !== undefined) input.value = prev;
      input.addEventListener('change', () => { state.answers = collectAttrs(true); });
      box.appendChild(el('div', { className: 'attr' + (asked.includes(a.id) ? ' asked' : '') },
        el('div', { className: 'q', text: a.question_zh }), el('div', { className: 'q en', text: a.question_en }), input));
    });
  }
  function collectAttrs(raw) {
    const out = {};
    document.querySelectorAll('#attrs [data-attr]').forEach((inp) => {
      if (inp.value === '') return;
      const spec = state.type.attributes.find((a) => a.id === inp.dataset.attr);
      if (raw) out[inp.dataset.attr] = inp.value;
      else if (spec.type === 'bool') out[inp.dataset.attr] = inp.value === 'true';
      else if (spec.type === 'number') out[inp.dataset.attr] = Number(inp.value);
      else out[inp.dataset.attr] = inp.value;
    });
    return out;
  }
  $('type-search').addEventListener('input', renderTypes);
  $('type').addEventListener('change', () => { state.answers = {}; chooseType($('type').value); });

  /* ------------------------------------------------------------ screening */
  $('file').addEventListener('change', () => {
    state.file = $('file').files[0] || null;
    if (state.file) drawn.clearLayers();
    siteChanged();
  });
  $('clear-site').addEventListener('click', () => {
    drawn.clearLayers(); state.file = null; $('file').value = '';
    map.removeLayer(resultLayer); siteChanged();
  });

  async function screen() {
    if (!state.type) return;
    $('screen').disabled = true;
    setStatus('筛查中… / Screening…');
    const attrs = collectAttrs(false);
    try {
      let doc;
      if (state.file) {
        const form = new FormData();
        form.append('file', state.file, state.file.name);
        form.append('project_type', state.type.id);
        form.append('attrs', JSON.stringify(attrs));
        form.append('compare', 'true');
        if ($('crs').value.trim()) form.append('crs', $('crs').value.trim());
        doc = await api('/api/screen', { method: 'POST', body: form });
      } else {
        const site = drawnSite();
        doc = await api('/api/screen', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ project_type: state.type.id, attrs, site, crs: 'EPSG:4490', compare: site.features.length > 1 }),
        });
      }
      state.result = doc;
      await renderResult(doc);
      setStatus('');
    } catch (e) {
      showError(e);
    } finally {
      siteChanged();
    }
  }
  $('screen').addEventListener('click', screen);

  function showError(e) {
    setStatus((e.status ? e.status + ' ' + (e.code || '') + ': ' : '') + e.message, true);
  }

  function kindLabel(kind) { return state.kinds[kind] ? state.kinds[kind].info.label : kind; }
  function zoneLabel(kind, zone) {
    const k = state.kinds[kind];
    const z = k && k.info.zones.find((x) => x.zone === zone);
    return z ? z.label : zone;
  }
  function metric(h) {
    if (h.intersects) {
      if (h.overlap_area_m2 > 0) return fmt(h.overlap_area_m2) + ' m² 重叠 / overlap, ' + fmt(100 * h.share_of_site, 1) + ' % 站点 / of the site';
      if (h.overlap_length_m > 0) return fmt(h.overlap_length_m) + ' m 在内 / inside, ' + h.crossings + ' 次穿越 / crossing(s)';
      return h.inside ? '位于区内 / inside, 距边界 / from the boundary ' + fmt(h.boundary_distance_m) + ' m' : '接触 / touching';
    }
    return '区外 ' + fmt(h.distance_m) + ' m / outside the zone (buffer)';
  }

  function siteCard(site, open) {
    const body = [];
    const size = site.site_area_m2 ? fmt(site.site_area_m2) + ' m²' : site.site_length_m ? fmt(site.site_length_m) + ' m' : '';
    body.push(el('p', {}, badge(site.verdict), ' ', site.geometry_type + (size ? ' · ' + size : ''), site.covered ? '' : ' · 超出数据覆盖范围 / outside the data coverage'));
    if (site.hits.length) {
      body.push(el('h4', { text: '命中与规则 / Hits and rules' }));
      site.hits.forEach((h) => {
        const rules = (h.rule_ids.length ? h.rule_ids : [null]).map((rid) => {
          if (!rid) return el('div', { className: 'rule', text: '无适用规则 / no rule covers this project type here → needs information' });
          const r = state.rules[rid] || {};
          return el('div', {},
            el('span', { className: 'rule', text: rid + ' · ' + (VERDICT[r.outcome] || r.outcome || '') }),
            r.text_zh ? el('blockquote', { text: '“' + r.text_zh + '”' }) : null,
            r.text_en ? el('blockquote', { text: '“' + r.text_en + '”' }) : null,
            el('div', { className: 'citation', text: '出处 / Citation: ' + (r.citation ? r.citation.text : '') }));
        });
        body.push(el('div', { className: 'hit o-' + h.outcome },
          el('div', {}, el('b', { text: kindLabel(h.layer_kind) }), ' · ' + zoneLabel(h.layer_kind, h.zone) + (h.name ? ' · ' + h.name : '')),
          el('div', { text: metric(h) + ' → ' + (VERDICT[h.outcome] || h.outcome) }),
          rules));
      });
    }
    const units = site.hits.filter((h) => h.layer_kind === 'control_unit' && h.intersects);
    const DIMENSIONS = {
      spatial_layout: '空间布局约束 / Spatial layout',
      pollutant_discharge: '污染物排放管控 / Pollutant discharge',
      environmental_risk: '环境风险防控 / Environmental risk',
      resource_efficiency: '资源利用效率 / Resource efficiency',
      combined: '准入清单 / Access list',
    };
    units.forEach((u) => {
      const list = u.access_list || {};
      const dims = Object.keys(list);
      if (!dims.length) return; // the unit layer carries no access list: nothing to quote
      body.push(el('h4', { text: '管控单元准入清单 / Access list of the unit ' + (u.name || u.feature_id) }));
      body.push(el('table', { className: 'access-list' }, dims.map((d) =>
        el('tr', {}, el('td', { text: DIMENSIONS[d] || d }), el('td', { text: list[d] })))));
    });
    if (site.questions.length) {
      body.push(el('h4', { text: '需回答的问题 / Questions to answer (above, then screen again)' }));
      body.push(el('ul', {}, site.questions.map((q) => el('li', { text: q }))));
    }
    if (site.evidence_required.length) {
      body.push(el('h4', { text: '证据清单 / Evidence checklist' }));
      body.push(el('ul', { className: 'evidence' }, site.evidence_required.map((x) => el('li', {}, el('label', {}, el('input', { type: 'checkbox' }), ' ' + x)))));
    }
    const near = site.nearby.concat(site.nearest);
    if (near.length) {
      body.push(el('h4', { text: '附近区域 / Nearby zones' }));
      body.push(el('ul', {}, near.map((n) => el('li', { text: kindLabel(n.layer_kind).split(' / ')[0] + ' · ' + zoneLabel(n.layer_kind, n.zone).split(' / ')[0] + (n.name ? ' · ' + n.name : '') + ': ' + fmt(n.distance_m) + ' m' }))));
    }
    if (site.reasons.length) {
      body.push(el('details', {}, el('summary', { text: '全部理由 / All reasons' }), el('ul', {}, site.reasons.map((r) => el('li', { text: r })))));
    }
    if (site.repaired) body.push(el('p', { className: 'note', text: '几何已修复 / geometry repaired: ' + site.repair }));
    return el('details', { className: 'card', open, 'data-site': site.site_id }, el('summary', {}, el('b', { text: '站点 / Site ' + site.site_id + ' ' }), badge(site.verdict)), body);
  }

  async function renderResult(doc) {
    $('result').classList.remove('hidden');
    const cmp = clear($('compare'));
    const cards = clear($('cards'));
    const asked = new Set();
    doc.sites.forEach((s) => s.questions.forEach((q) => { const m = q.match(/--attr (\w+)=/); if (m) asked.add(m[1]); }));
    renderAttrs(Array.from(asked));
    if (doc.warnings.length) cmp.appendChild(el('ul', { className: 'note' }, doc.warnings.map((w) => el('li', { text: '⚠ ' + w }))));
    if (doc.ranking && doc.sites.length > 1) {
      cmp.appendChild(el('h4', { text: '比选 / Comparison (best first)' }));
      cmp.appendChild(el('table', { id: 'comparison' },
        el('thead', {}, el('tr', {}, ['#', '站点 / Site', '结论 / Verdict', '命中 / Hits', '受限面积 / Constrained m²', '受限长度 / m', '规则 / Rules'].map((h) => el('th', { text: h })))),
        el('tbody', {}, doc.ranking.map((r) => el('tr', {
          className: 'pick',
          onclick: () => { const c = cards.querySelector('[data-site="' + CSS.escape(r.site_id) + '"]'); if (c) { c.open = true; c.scrollIntoView(); } },
        }, el('td', { text: r.rank }), el('td', { text: r.site_id }), el('td', {}, badge(r.verdict)), el('td', { text: r.n_hits }),
          el('td', { text: fmt(r.constrained_area_m2) }), el('td', { text: fmt(r.constrained_length_m) }), el('td', { text: (r.rule_ids || '').split(';').join(', ') }))))));
    }
    doc.sites.forEach((s, i) => cards.appendChild(siteCard(s, doc.sites.length === 1 || i === 0)));
    const dl = clear($('downloads'));
    const base = '/api/screen/' + encodeURIComponent(doc.id) + '/';
    dl.appendChild(el('span', { text: '下载 / Downloads: ' }));
    [['report.html', '报告 / Report (HTML, print to PDF)'], ['report.docx', 'Word'], ['result.json', 'JSON'], ['summary.csv', 'CSV'], ['map.html', '离线地图 / Offline map']]
      .concat(doc.sites.length > 1 ? [['ranking.csv', '比选 / Ranking CSV']] : [])
      .forEach(([name, label]) => dl.appendChild(el('a', { href: base + name, target: '_blank', rel: 'noopener', 'data-download': name, text: label })));
    $('disclaimer').textContent = doc.disclaimer;
    // the sites coloured by verdict and the zones they hit, on the map
    const feats = await api(base + 'features.geojson');
    resultLayer.clearLayers();
    L.geoJSON(feats, {
      style: (f) => f.properties.role === 'site'
        ? { color: VCOLOR[f.properties.verdict], weight: 3, fillOpacity: 0.25, fillColor: VCOLOR[f.properties.verdict] }
        : { color: VCOLOR[f.properties.outcome] || '#555', weight: 2, dashArray: '5 4', fillOpacity: 0.08 },
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 7 }),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindPopup(() => p.role === 'site'
          ? el('div', {}, el('b', { text: '站点 / Site ' + p.site_id + ' ' }), badge(p.verdict))
          : el('div', {}, el('b', { text: kindLabel(p.layer_kind) }), el('div', { text: zoneLabel(p.layer_kind, p.zone) + (p.name ? ' · ' + p.name : '') }),
            el('div', { text: (VERDICT[p.outcome] || p.outcome) + (p.rule_id ? ' · ' + p.rule_id : '') })));
      },
    }).eachLayer((l) => resultLayer.addLayer(l));
    resultLayer.addTo(map);
    resultLayer.bringToFront();
    $('result').scrollIntoView({ block: 'start' });
    if (state.file) {
      const b = resultLayer.getBounds();
      if (b.isValid()) map.fitBounds(b, { maxZoom: 15 });
    }
  }

  /* ------------------------------------------------------------ start */
  async function start() {
    try {
      const health = await api('/api/health');
      $('catalog-name').textContent = health.catalog.name || '';
      $('illustrative').classList.toggle('hidden', !health.catalog.illustrative);
      $('runs-link').classList.toggle('hidden', !health.runs);
      const [types, rules] = await Promise.all([api('/api/types'), api('/api/rules')]);
      state.types = types.types;
      state.rules = rules.rules;
      renderTypes();
      siteChanged();
      await loadLayers();
      document.body.dataset.ready = 'true';
    } catch (e) {
      showError(e);
    }
  }
  window.zoningPage = { map, drawn, state, resultLayer, chooseType: (id) => { $('type').value = id; chooseType(id); } };
  start();
}());
