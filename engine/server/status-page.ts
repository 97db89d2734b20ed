/**
 * The status page a browser gets at `/`: what the JSON endpoints say, readable by an operator
 * who opened the gateway's port 6769. Everything is inline (a gateway is often offline) and the
 * page reloads itself every few seconds; no script is needed to read it.
 */

import type { DeliveryStatus } from '../reconcile/reconciler.js';
import type { DeviceStatus, ProfilesStatus, StatusSummary } from './status-data.js';
import { deviceNodeLines } from '../sources/usb/device-node-lines.js';
import { ignoredText } from '../match/ignored-by.js';

/** What the page shows; the same values the JSON endpoints answer. */
export interface StatusPageData {
  summary: StatusSummary;
  devices: readonly DeviceStatus[];
  profiles: ProfilesStatus;
}

export const PAGE_REFRESH_SECONDS = 5;

const escape = (value: unknown) =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!,
  );

/** `count` and the noun, in the plural unless the count is one: "1 profile", "3 profiles". */
export const counted = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** How far `iso` is from `now`, as a person says it: "in 12 s", "3 min ago", "now". */
export function relativeTime(iso: string, now: number): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const size = Math.abs(seconds);
  if (Number.isNaN(seconds)) return '';
  if (size < 1) return 'now';
  const amount =
    size < 60
      ? `${size} s`
      : size < 3600
        ? `${Math.round(size / 60)} min`
        : size < 86400
          ? `${Math.round(size / 3600)} h`
          : `${Math.round(size / 86400)} d`;
  return seconds > 0 ? `in ${amount}` : `${amount} ago`;
}

/** An absolute time with the relative one beside it. */
const when = (iso: string | undefined, now: number) =>
  iso ? `${escape(iso)} <span class="muted">(${escape(relativeTime(iso, now))})</span>` : '';

/** The facts as `name: value` lines, nested objects flattened to dotted names. */
function factLines(facts: object, prefix = ''): string[] {
  return Object.entries(facts).flatMap(([name, value]) => {
    const path = `${prefix}${name}`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return factLines(value, `${path}.`);
    return [`${path}: ${typeof value === 'string' ? value : JSON.stringify(value)}`];
  });
}

function deliveryRows(deliveries: readonly DeliveryStatus[], now: number): string {
  if (deliveries.length === 0) return '<p class="muted">no delivery</p>';
  const rows = deliveries.map(
    (delivery) =>
      `<tr class="delivery state-${escape(delivery.state)}"><td>${escape(delivery.backend)}</td><td><code>${escape(delivery.identifier)}</code></td><td class="state">${escape(delivery.state)}</td><td class="failures">${delivery.failures || ''}</td><td>${escape(delivery.lastError)}</td><td>${when(delivery.nextAttemptAt, now)}</td></tr>`,
  );
  return `<table><thead><tr><th>backend</th><th>identifier</th><th>state</th><th>failures</th><th>last error</th><th>next attempt</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function deviceSection(device: DeviceStatus, now: number): string {
  const winner = device.profile
    ? `matched <strong class="profile">${escape(device.profile)}</strong>`
    : device.ignored
      ? `<span class="muted ignored">${escape(ignoredText(device.ignored))}</span>`
      : '<span class="muted">no profile matched</span>';
  const misses = device.candidates.filter((candidate) => candidate.reason);
  const missList = misses.length
    ? `<h4>Other profiles considered</h4><ul class="misses">${misses.map((miss) => `<li><strong>${escape(miss.profile)}</strong>${miss.file ? ` <span class="muted">${escape(miss.file)}</span>` : ''}: ${escape(miss.reason)}</li>`).join('')}</ul>`
    : '';
  const problems = [
    ...device.problems.map((problem) => `<p class="problem">${escape(problem)}</p>`),
    ...(device.warnings ?? []).map((warning) => `<p class="warning">${escape(warning)}</p>`),
  ].join('');
  const nodes = device.facts ? deviceNodeLines(device.facts, device.source) : [];
  const nodeList = nodes.length
    ? `<ul class="nodes">${nodes.map((node) => `<li><code>${escape(node)}</code></li>`).join('')}</ul>`
    : '';
  const facts = device.facts
    ? `<details><summary>facts</summary><pre>${escape(factLines(device.facts).join('\n'))}</pre></details>`
    : '';
  const leaving = device.leaving
    ? `<p class="leaving">leaving: gone since ${when(device.leaving.since, now)}; deregistered at ${when(device.leaving.until, now)} unless it comes back</p>`
    : '';
  return `<section class="device" data-key="${escape(device.key)}"><h3><code>${escape(device.key)}</code> ${winner}</h3>${leaving}${problems}${missList}${nodeList}${deliveryRows(device.deliveries, now)}${facts}</section>`;
}

function profileProblems(profiles: ProfilesStatus): string {
  const issues = profiles.files.flatMap((file) =>
    file.issues.map((issue) => ({ ...issue, keptLastGood: file.keptLastGood })),
  );
  if (issues.length === 0) return '<p class="muted">none</p>';
  return `<ul class="issues">${issues
    .map(
      (issue) =>
        `<li class="${escape(issue.severity)}"><code>${escape(issue.file)}:${issue.line}:${issue.col}</code> ${escape(issue.severity)} ${escape(issue.code)}: ${escape(issue.message)}${issue.keptLastGood ? ' <span class="muted">(last good version kept)</span>' : ''}</li>`,
    )
    .join('')}</ul>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}code,pre{font-family:ui-monospace,monospace}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}h3{font-size:1em;margin:.2em 0}h4{font-size:.9em;margin:.4em 0 0}.muted{color:#777}
section.device{border:1px solid #ddd;border-radius:6px;padding:.6em .8em;margin:.6em 0}table{border-collapse:collapse;margin:.4em 0}
td,th{border-bottom:1px solid #eee;padding:.2em .6em;text-align:left;vertical-align:top}.state-acknowledged .state{color:#080}
.state-retrying .state,.state-failed .state,.problem,.error{color:#b00}.state-pending .state,.state-removing .state,.warning,.leaving{color:#a60}
pre{background:#f6f6f6;padding:.5em;overflow:auto}`;

/** Each source and how it learns of changes: "usb: libusb-hotplug · file: inotify". */
function sourceModes(summary: StatusSummary): string {
  const sources = summary.sources ?? [];
  if (sources.length === 0) return '';
  const modes = sources.map(
    (source) =>
      `<span class="source">${escape(source.kind)}: ${escape(source.mode)}${source.ready ? '' : ' <span class="muted">(starting)</span>'}</span>`,
  );
  return `<p id="sources">sources: ${modes.join(' · ')}</p>`;
}

/** The whole page as HTML text; `now` (ms since the epoch) is what relative times count from. */
export function renderStatusPage(data: StatusPageData, now = Date.now()): string {
  const { summary } = data;
  const present = data.devices.filter((device) => device.present !== false);
  const leaving = data.devices.filter((device) => device.leaving);
  const gone = data.devices.filter((device) => device.present === false && !device.leaving);
  const section = (device: DeviceStatus) => deviceSection(device, now);
  const deviceCount = summary.devices?.present ?? 0;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${PAGE_REFRESH_SECONDS}">
<title>${escape(summary.name)} status</title><style>${STYLE}</style></head>
<body>
<h1>${escape(summary.name)} <span class="muted">${escape(summary.version)}</span></h1>
<p id="summary">${summary.ready ? 'ready' : 'starting'} · ${counted(summary.profiles?.loaded ?? 0, 'profile')} · ${counted(deviceCount, 'device')} present, ${summary.devices?.matched ?? 0} matched${summary.devices?.leaving ? `, ${summary.devices.leaving} leaving` : ''} · started ${when(summary.startedAt, now)} · refreshed <span id="refreshed">${escape(new Date(now).toISOString())}</span></p>
${sourceModes(summary)}
<h2>Devices</h2>
<div id="devices">${present.length ? present.map(section).join('') : '<p class="muted">no device present</p>'}</div>
<h2>Leaving <span class="muted">(devices gone within their hold: registrations kept in case they come back)</span></h2>
<div id="leaving">${leaving.length ? leaving.map(section).join('') : '<p class="muted">none</p>'}</div>
<h2>Pending removals <span class="muted">(devices gone, backends not yet told)</span></h2>
<div id="removals">${gone.length ? gone.map(section).join('') : '<p class="muted">none</p>'}</div>
<h2>Profile problems</h2>
<div id="profile-problems">${profileProblems(data.profiles)}</div>
<p class="muted">JSON: <a href="/devices">/devices</a> · <a href="/profiles">/profiles</a> · <a href="/metrics">/metrics</a> · <a href="/healthz">/healthz</a></p>
</body></html>
`;
}

/** The login form shown when the status server is locked and the browser has no token. */
export function renderLoginPage(failed: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>engine status: log in</title><style>${STYLE}</style></head>
<body><h1>Status token required</h1>${failed ? '<p class="error">That token is not the one configured.</p>' : ''}
<form method="post" action="/login"><label>Token <input type="password" name="token" autofocus required></label> <button type="submit">Log in</button></form>
<p class="muted">API clients send <code>Authorization: Bearer TOKEN</code>.</p></body></html>
`;
}
