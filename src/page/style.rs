//! The page's stylesheet, inlined in its `<style>`: dark on light, large type that grows
//! with the screen (a wall screen reads it from a distance, a phone up close), grids
//! that wrap on narrow screens, and one colour per outcome that always comes with a
//! word or a symbol.

/// The stylesheet.
pub(super) const CSS: &str = r#"
:root{--ok:#1a7f37;--ok-bg:#e6f4ea;--bad:#b3261e;--bad-bg:#fce8e6;--warn:#9a4d00;--warn-bg:#fff1dc;
--info:#1f5fbf;--odd:#7b3fa0;--none:#6b7280;--ink:#111827;--muted:#4b5563;--line:#d1d5db;--bg:#f3f4f6}
*{box-sizing:border-box}
html{font-size:clamp(15px,0.55vw + 11px,24px)}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);background:var(--bg);line-height:1.45}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 2rem;padding:1rem 1.5rem;background:#fff;border-bottom:1px solid var(--line)}
header.top h1{margin:0;font-size:2rem;letter-spacing:.02em}
.readiness{font-size:1.5rem;padding:.35rem 1rem;border:3px solid;border-radius:.6rem}
.readiness[data-state=ready]{color:var(--ok);background:var(--ok-bg)}
.readiness[data-state=degraded]{color:var(--warn);background:var(--warn-bg)}
.readiness[data-state=unavailable]{color:var(--bad);background:var(--bad-bg)}
.readiness .reasons{margin:.25rem 0 0;padding-left:1.2rem;font-size:1rem;color:var(--ink)}
.made{margin:0}
.muted{color:var(--muted);font-weight:normal}
main{display:grid;gap:1rem;padding:1rem}
main>section{background:#fff;border:1px solid var(--line);border-radius:.6rem;padding:.75rem 1.25rem 1rem;min-width:0}
h2{margin:.25rem 0 .75rem;font-size:1.6rem}
h3{margin:.5rem 0;font-size:1.3rem}
h4{margin:1rem 0 .4rem;font-size:1.05rem;color:var(--muted)}
section{min-width:0}
.destinations{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,38rem),1fr));gap:1rem}
.destination{border:1px solid var(--line);border-radius:.5rem;padding:.5rem 1rem 1rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,24rem),1fr));gap:0 2rem}
dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.2rem 1rem;margin:.5rem 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
code{font-family:ui-monospace,"Cascadia Mono",Menlo,Consolas,monospace;font-size:.92em;overflow-wrap:anywhere}
code.command{display:inline-block;margin:.1rem 0;padding:.1rem .45rem;border-radius:.3rem;background:#111827;color:#fff;user-select:all;white-space:pre-wrap}
.big{font-size:1.4rem;margin:.25rem 0}
.state-line{font-size:1.25rem;margin:.25rem 0}
.state{padding:.1rem .6rem;border-radius:.4rem;border:2px solid;font-weight:bold}
.state[data-state=delivered]{color:var(--ok);background:var(--ok-bg)}
.state[data-state=rejected]{color:var(--bad);background:var(--bad-bg)}
.state[data-state=pending]{color:var(--info);background:#e8f0fd}
.state[data-state=none]{color:var(--none);background:#f3f4f6}
.badge{padding:.1rem .5rem;border-radius:.4rem;background:#e8f0fd;color:var(--info);font-size:1rem}
.warning,.warn,.bad{color:var(--bad);font-weight:bold}
.warn{color:var(--warn)}
.ok{color:var(--ok)}
p.warning{background:var(--bad-bg);padding:.4rem .7rem;border-radius:.4rem}
.empty{color:var(--muted);font-style:italic}
.exhausted{color:var(--warn);font-weight:bold}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;vertical-align:top;padding:.3rem .55rem;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:600}
caption{text-align:left;font-weight:600;color:var(--muted);padding:.2rem 0}
.num,td.count,td.total{text-align:right;font-variant-numeric:tabular-nums}
#set-counts{width:auto;min-width:14rem}
.detail{white-space:pre-line;overflow-wrap:break-word;min-width:12rem}
.answer-lost{display:block}
tr.certificate.expiring td{background:var(--warn-bg)}
tr.certificate.ended td{background:var(--bad-bg)}
td code{overflow-wrap:normal;word-break:normal}
tr.report:has(+tr.report-issues) td{border-bottom:0}
tr.report-issues td{padding-top:0}
.report-issues .issues{margin:0}
.changes{white-space:nowrap}
.outcome{font-weight:bold;white-space:nowrap}
.o-delivered{color:var(--ok)}.o-rejected{color:var(--bad)}.o-failed{color:var(--warn)}
.o-in-flight{color:var(--info)}.o-interrupted{color:var(--odd)}
.issues{margin:0;padding:0;list-style:none}
#recent-reports code{font-size:.8em}
.issue.error{color:var(--bad)}
.issue.warning{color:var(--warn);font-weight:normal}
.quarantine-list{list-style:none;padding:0;margin:0}
.quarantined{border:2px solid var(--warn);border-radius:.5rem;padding:.4rem .9rem;margin:.5rem 0;background:var(--warn-bg)}
.quarantined p{margin:.3rem 0}
.nights{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;margin:.4rem 0;padding:0}
.night a,.night .cell{display:flex;flex-direction:column;align-items:center;justify-content:center;width:2.3rem;height:2.7rem;border-radius:.3rem;color:#fff;text-decoration:none;font-weight:bold;line-height:1.1}
.night a:focus,.night a:hover{outline:3px solid var(--ink);outline-offset:1px}
.night .sym{font-size:1.1rem}
.night .day{font-size:.7rem;font-weight:normal}
.night[data-result=first_try]>*,.r-first_try{background:var(--ok)}
.night[data-result=after_retries]>*,.r-after_retries{background:#4f7a12}
.night[data-result=rejected]>*,.r-rejected{background:var(--bad)}
.night[data-result=escalated]>*,.r-escalated{background:#f2b705;color:#111!important}
.night[data-result=pending]>*,.r-pending{background:var(--info)}
.night[data-result=superseded]>*,.r-superseded{background:var(--odd)}
.night[data-result=none]>*,.r-none{background:#9ca3af;color:#111!important}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1.1rem;list-style:none;margin:.3rem 0;padding:0;font-size:.9rem;color:var(--muted)}
.swatch{display:inline-block;min-width:1.5rem;text-align:center;border-radius:.25rem;color:#fff;font-weight:bold}
.swatch.applied{color:var(--info)}
.swatch.not-applied{color:var(--bad)}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.links{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;list-style:none;padding:0;margin:0}
a{color:#1d4ed8}
svg{display:block;width:100%;height:auto;max-height:70vh;font-family:inherit}
#lot-chart{max-height:22rem}
svg text{font-size:16px;fill:var(--ink)}
.figure{overflow-x:auto}
svg .axis{stroke:var(--ink);stroke-width:2}
svg .grid{stroke:var(--line);stroke-dasharray:4 4}
svg .axis-label{fill:var(--muted)}
.slot line{stroke:var(--ink);stroke-width:2}
.slot text{font-size:16px}
.pause rect{fill:#e5e7eb;stroke:var(--none);stroke-dasharray:3 3}
.pause text{fill:var(--muted);font-style:italic}
.escalation line{stroke:var(--bad);stroke-width:2;stroke-dasharray:7 4}
.escalation path{fill:var(--bad)}
.escalation text{fill:var(--bad);font-weight:bold}
.now line{stroke:var(--info);stroke-width:2}
.now text{fill:var(--info);font-weight:bold}
.attempt .stem{stroke:#9ca3af;stroke-width:1}
.attempt>text{fill:#fff;font-weight:bold;font-size:17px}
.attempt[data-outcome=delivered]>:is(circle,rect,path){fill:var(--ok)}
.attempt[data-outcome=rejected]>:is(circle,rect,path){fill:var(--bad)}
.attempt[data-outcome=failed]>:is(circle,rect,path){fill:var(--warn)}
.attempt[data-outcome=interrupted]>:is(circle,rect,path){fill:var(--odd)}
.attempt[data-outcome="in flight"]>circle{fill:#fff;stroke:var(--info);stroke-width:2.5;stroke-dasharray:4 2}
.attempt[data-outcome="in flight"]>text{fill:var(--info)}
.chart .series{fill:none;stroke:var(--info);stroke-width:1.5;opacity:.55}
.chart .point.applied{fill:var(--info)}
.chart .point.not-applied{fill:none;stroke:var(--bad);stroke-width:3}
@media (max-width:40rem){
 header.top{padding:.75rem}
 header.top h1{font-size:1.5rem}
 .readiness{font-size:1.2rem}
 main{padding:.5rem}
 main>section{padding:.5rem .75rem}
 dl.facts{grid-template-columns:minmax(0,1fr)}
 dl.facts dt{font-weight:bold;margin-top:.3rem}
 .figure svg{min-width:720px}
}
"#;
