-- wrk `done` hook shared by scan.lua and image.lua: one JSON line on stdout.
return function(summary, latency, requests)
  local s = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    '{"label":"%s","connections":%s,"batch":%s,"requests":%d,"seconds":%.2f,"rps":%.1f,"scans_per_s":%.1f,' ..
    '"p50_ms":%.2f,"p90_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,"mean_ms":%.2f,' ..
    '"non_2xx":%d,"socket_errors":%d}\n',
    os.getenv("LABEL") or "", os.getenv("CONNS") or "0", os.getenv("BATCH") or "1",
    summary.requests, s, summary.requests / s,
    summary.requests * tonumber(os.getenv("BATCH") or "1") / s,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
