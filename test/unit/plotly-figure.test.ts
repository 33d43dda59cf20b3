import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanFigure, cleanText, PLOTLY_CONFIG, themeLayout } from '../../webview/plotly-figure';

/** Every string anywhere in a value. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

describe('Plotly figures from the sandbox (webview/plotly-figure.ts)', () => {
  it('keeps what plotly.express makes: data, layout, its template, a hovertemplate with <br> and <extra>', () => {
    const fig = {
      data: [{ type: 'scatter', mode: 'markers', x: [1, 2, 3], y: [4, 1, 6], hovertemplate: 'x=%{x}<br>y=%{y}<extra></extra>', showlegend: false, marker: { color: '#636efa' } }],
      layout: { template: { layout: { font: { color: '#2a3f5f' }, plot_bgcolor: '#E5ECF6' } }, xaxis: { title: { text: 'x' } }, legend: { tracegrouporder: 'reversed' } },
    };
    assert.deepEqual(cleanFigure(fig), fig);
    assert.deepEqual(cleanFigure(JSON.stringify(fig)), fig, 'a figure given as its JSON string');
  });

  it('drops the figure\'s own config and frames: ours is used', () => {
    const clean = cleanFigure({ data: [], layout: {}, config: { plotlyServerURL: 'https://hostile.invalid', showLink: true }, frames: [{ data: [] }] });
    assert.deepEqual(clean, { data: [], layout: {} });
    assert.equal(PLOTLY_CONFIG.displaylogo, false);
    assert.equal(PLOTLY_CONFIG.showLink, false);
    assert.equal(PLOTLY_CONFIG.showEditInChartStudio, false);
    assert.ok(PLOTLY_CONFIG.modeBarButtonsToRemove.includes('toImage'));
  });

  it('is no figure when the JSON is invalid or has no data (the panel then shows the text form)', () => {
    for (const bad of ['{not json', 42, null, [], {}, { data: 'x' }, { layout: {} }]) assert.equal(cleanFigure(bad), undefined, JSON.stringify(bad));
  });

  it('turns links in text into their text, removes plotly\'s formatting tags, keeps <br> and <extra> bare and other tags as text', () => {
    assert.equal(cleanText('see <a href="javascript:alert(1)">here</a>!'), 'see here!');
    assert.equal(cleanText('<A HREF=https://hostile.invalid/x target=_blank>x</A>'), 'x');
    assert.equal(cleanText('a<img src=x onerror=alert(1)>b <NA>'), 'a<img src=x onerror=alert(1)>b <NA>', 'plotly draws a tag it does not know as text');
    assert.equal(cleanText('<b style="color:red">bold</b><br/><i>it</i><sub>2</sub><span style="x">s</span>'), 'bold<br>it2s');
    assert.equal(cleanText('x<extra class="q">name</extra>'), 'x<extra>name</extra>');
    assert.equal(cleanText('<<a>a href="javascript:alert(1)">joined</a>'), 'joined', 'a tag joined from the pieces of others');
    assert.equal(cleanText('1 < 2 and 3 > 2; a<b'), '1 < 2 and 3 > 2; a<b', 'comparisons are not tags');
  });

  it('drops what plotly would load or follow: images that are no data: picture, map styles and sources, geojson URLs', () => {
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    const clean = cleanFigure({
      data: [
        { type: 'choropleth', geojson: 'https://hostile.invalid/geo.json', locations: ['a'], z: [1] },
        { type: 'choroplethmap', geojson: { type: 'FeatureCollection', features: [] } },
        { type: 'sankey', link: { source: [0, 1], target: [1, 2], value: [1, 1] } },
        { type: 'scatter', x: [1], y: [1], text: ['<img src=x onerror=alert(1)>t'], customdata: [{ href: 'javascript:alert(1)', url: 'https://hostile.invalid/u' }] },
      ],
      layout: {
        title: { text: 'T <a href="https://hostile.invalid/x">click</a>' },
        images: [
          { source: 'https://hostile.invalid/img.png', x: 0 },
          { source: '//hostile.invalid/img.png' },
          { source: 'data:image/svg+xml;base64,PHN2Zy8+' },
          { source: png, x: 1 },
        ],
        map: { style: 'https://hostile.invalid/style.json', layers: [{ sourcetype: 'raster', source: ['https://hostile.invalid/{z}/{x}/{y}.png'] }] },
        mapbox: { style: 'open-street-map', accesstoken: 'pk.x' },
        annotations: [{ text: '<a href="javascript:alert(1)">note</a>' }],
        template: { layout: { images: [{ source: 'https://hostile.invalid/template.png' }] } },
      },
    });
    assert.ok(clean);
    assert.deepEqual(clean.layout.images, [{ source: png, x: 1 }]);
    assert.deepEqual((clean.layout.template as any).layout.images, []);
    assert.equal((clean.layout.title as any).text, 'T click');
    assert.deepEqual(clean.layout.map, { layers: [{ sourcetype: 'raster', source: [] }] });
    assert.deepEqual(clean.layout.mapbox, { style: 'open-street-map' });
    assert.equal(clean.data[0].geojson, undefined);
    assert.deepEqual(clean.data[1].geojson, { type: 'FeatureCollection', features: [] });
    assert.deepEqual(clean.data[2].link, { source: [0, 1], target: [1, 2], value: [1, 1] });
    assert.deepEqual(clean.data[3].customdata, [{}]);
    const all = strings(clean);
    assert.equal(all.filter((s) => /hostile\.invalid|javascript:|<a\b/i.test(s)).length, 0, all.join(' | '));
  });

  it('keeps no prototype key and stops at a depth bound', () => {
    const clean = cleanFigure(JSON.parse('{"data":[{"__proto__":{"polluted":1},"constructor":{"x":1},"y":[1]}],"layout":{}}'));
    assert.deepEqual(clean?.data, [{ y: [1] }]);
    assert.equal(({} as any).polluted, undefined);
    let deep: any = { v: 1 };
    for (let i = 0; i < 200; i++) deep = { d: deep };
    const c = cleanFigure({ data: [{ customdata: deep }], layout: {} });
    assert.ok(c && JSON.stringify(c).length < JSON.stringify(deep).length);
  });

  it('themes only what the figure left to its template', () => {
    const themed = themeLayout({ template: {} }, { foreground: '#cccccc', fontFamily: 'system-ui' });
    assert.equal(themed.paper_bgcolor, 'rgba(0,0,0,0)');
    assert.deepEqual(themed.font, { color: '#cccccc', family: 'system-ui' });
    const own = themeLayout({ paper_bgcolor: 'white', font: { color: 'red' } }, { foreground: '#cccccc' });
    assert.equal(own.paper_bgcolor, 'white');
    assert.deepEqual(own.font, { color: 'red' });
  });
});
