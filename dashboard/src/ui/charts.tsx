/**
 * The metrics tab: messages and failures per hour, and p50/p95 latency, drawn with uPlot (time
 * axis in the viewer's time zone, labelled axes, values at the cursor in the legend), the same
 * numbers as a table, and the tenant's backlog right now.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { call, type Metrics, type Tenant } from '../api';
import { Async, Empty, Table, time, useAsync } from './kit';
import { BacklogFigures } from './tenants';

export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

function Chart({
  opts,
  data,
  testid,
  label,
}: {
  opts: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  testid: string;
  label: string;
}) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const target = el.current!;
    const size = () => ({ width: Math.max(280, target.clientWidth), height: 220 });
    const plot = new uPlot({ ...opts, ...size() }, data, target);
    const observer = new ResizeObserver(() => plot.setSize(size()));
    observer.observe(target);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [opts, data]);
  return <div class="chart" ref={el} data-testid={testid} role="img" aria-label={label} />;
}

const hourAxis: uPlot.Axis = {
  label: `Hour (${TIME_ZONE})`,
  values: (_u, ticks) =>
    ticks.map((s) => new Date(s * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })),
};

export function MetricsTab({ t }: { t: Tenant }) {
  const state = useAsync(() => call<Metrics>('GET', `/tenants/${t.id}/metrics?hours=24`), [t.id]);
  return (
    <Async state={state} what="Loading metrics…">
      {(m) => <MetricsView m={m} />}
    </Async>
  );
}

function MetricsView({ m }: { m: Metrics }) {
  const hours = m.hours;
  const x = hours.map((h) => h.hour / 1000);
  const active = hours.filter((h) => h.inbound + h.outbound + h.failed > 0);
  const counts: uPlot.AlignedData = [
    x,
    hours.map((h) => h.inbound),
    hours.map((h) => h.outbound),
    hours.map((h) => h.failed),
  ];
  const latency: uPlot.AlignedData = [x, hours.map((h) => h.p50LatencyMs), hours.map((h) => h.p95LatencyMs)];
  // In and Out side by side (left and right of the hour), so neither hides the other; failures
  // as a line with points over them.
  const inBars = uPlot.paths.bars!({ size: [0.35, 30], align: -1 });
  const outBars = uPlot.paths.bars!({ size: [0.35, 30], align: 1 });
  const countOpts: Omit<uPlot.Options, 'width' | 'height'> = {
    series: [
      { label: 'Hour', value: (_u, v) => (v === null ? '—' : new Date(v * 1000).toLocaleString()) },
      { label: 'In (customer → agent)', stroke: '#1d4ed8', fill: '#1d4ed866', paths: inBars, points: { show: false } },
      {
        label: 'Out (agent → customer)',
        stroke: '#15803d',
        fill: '#15803d66',
        paths: outBars,
        points: { show: false },
      },
      { label: 'Failed', stroke: '#b91c1c', width: 2, points: { show: true, size: 6 } },
    ],
    axes: [hourAxis, { label: 'Messages per hour' }],
    scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
  };
  const latencyOpts: Omit<uPlot.Options, 'width' | 'height'> = {
    series: [
      { label: 'Hour', value: (_u, v) => (v === null ? '—' : new Date(v * 1000).toLocaleString()) },
      { label: 'p50 latency', stroke: '#7c3aed', width: 2, value: (_u, v) => (v === null ? '—' : `${v} ms`) },
      { label: 'p95 latency', stroke: '#c2410c', width: 2, value: (_u, v) => (v === null ? '—' : `${v} ms`) },
    ],
    axes: [hourAxis, { label: 'Latency (ms)', size: 60 }],
    scales: { y: { range: (_u, _min, max) => [0, Math.max(10, max)] } },
  };
  return (
    <div>
      <section class="card" aria-labelledby="h-backlog-t" data-testid="backlog">
        <h2 id="h-backlog-t">Backlog now</h2>
        <BacklogFigures backlog={m.backlog} />
      </section>
      <section class="card" aria-labelledby="h-msgs">
        <h2 id="h-msgs">Messages and failures per hour</h2>
        <p class="hint" data-testid="time-zone">
          Last {hours.length} hours, times in {TIME_ZONE}. Point at the chart to read an hour's values.
        </p>
        <Chart
          testid="chart"
          opts={countOpts}
          data={counts}
          label={`Bar chart of messages in, out and failed: x axis hour (${TIME_ZONE}), y axis messages per hour; the table below has the same numbers`}
        />
      </section>
      <section class="card" aria-labelledby="h-lat">
        <h2 id="h-lat">Latency (p50 and p95)</h2>
        <Chart
          testid="latency-chart"
          opts={latencyOpts}
          data={latency}
          label={`Line chart of p50 and p95 latency: x axis hour (${TIME_ZONE}), y axis latency in ms; the table below has the same numbers`}
        />
      </section>
      {active.length === 0 ? (
        <Empty>No messages in the last {hours.length} hours.</Empty>
      ) : (
        <Table
          testid="metrics"
          caption={`Messages per hour (${TIME_ZONE})`}
          head={['Hour', 'In', 'Out', 'Failed', 'p50 (ms)', 'p95 (ms)', 'Average (ms)']}
        >
          {[...active].reverse().map((h) => (
            <tr key={h.hour}>
              <td>{time(h.hour)}</td>
              <td>{h.inbound}</td>
              <td>{h.outbound}</td>
              <td>{h.failed}</td>
              <td>{h.p50LatencyMs ?? '—'}</td>
              <td>{h.p95LatencyMs ?? '—'}</td>
              <td>{h.avgLatencyMs ?? '—'}</td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}
