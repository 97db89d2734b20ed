// The status page names the ignore rule that leaves a device alone, instead of "no profile matched".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderStatusPage } from '../../engine/server/status-page.js';
import { deviceOf, profilesOf, summaryOf } from './status-fixtures.js';

test('an ignored device shows the rule that ignored it, with its file and reason', () => {
  const html = renderStatusPage(
    {
      summary: summaryOf(),
      devices: [
        deviceOf('serial:ttyS0', {
          ignored: { name: 'ups-on-ttys0', file: '/etc/engine.yaml', kind: 'config-rule', reason: 'nut owns it' },
        }),
        deviceOf('file:/dev/video9'),
      ],
      profiles: profilesOf(),
    },
    Date.parse('2026-06-01T12:00:00.000Z'),
  );
  const section = (key: string) => html.slice(html.indexOf(`data-key="${key}"`)).split('</section>')[0]!;
  assert.match(section('serial:ttyS0'), /ignored by ignore rule ups-on-ttys0 of \/etc\/engine.yaml: nut owns it/);
  assert.doesNotMatch(section('serial:ttyS0'), /no profile matched/);
  assert.match(section('file:/dev/video9'), /no profile matched/);
});
