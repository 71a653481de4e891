-- wrk script: POST /api/v1/detection/scan with BATCH precomputed PDQ hashes per
-- request (default 1), cycling through the hashes in $HASHES.
-- Env: TOKEN, BASIS, HASHES, BATCH, LABEL.
local token = os.getenv("TOKEN")
local basis = os.getenv("BASIS")
local batch = tonumber(os.getenv("BATCH") or "1")
local hashes = {}
local i = 0

function init(args)
  for line in io.lines(os.getenv("HASHES")) do
    hashes[#hashes + 1] = line
  end
  i = math.random(#hashes)
end

function request()
  local items = {}
  for k = 1, batch do
    i = i % #hashes + 1
    items[k] = '{"hash":"' .. hashes[i] .. '","quality":100}'
  end
  local body = '{"basis_id":"' .. basis .. '","items":[' .. table.concat(items, ",") .. ']}'
  return wrk.format("POST", "/api/v1/detection/scan", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

done = dofile(os.getenv("BENCH_DIR") .. "/summary.lua")
