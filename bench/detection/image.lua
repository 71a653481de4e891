-- wrk script: POST /api/v1/detection/scan/image with a raw JPEG body, cycling
-- through $IMAGES/img-0000.jpg .. img-(N-1).jpg (each thread starts elsewhere).
-- Env: TOKEN, BASIS, SERVICE, IMAGES, N_IMAGES, LABEL.
local token = os.getenv("TOKEN")
local basis = os.getenv("BASIS")
local service = os.getenv("SERVICE")
local images = {}
local i = 0

function init(args)
  local n = tonumber(os.getenv("N_IMAGES"))
  for k = 0, n - 1 do
    local f = assert(io.open(string.format("%s/img-%04d.jpg", os.getenv("IMAGES"), k), "rb"))
    images[#images + 1] = f:read("*a")
    f:close()
  end
  i = math.random(#images)
end

function request()
  i = i % #images + 1
  return wrk.format("POST",
    "/api/v1/detection/scan/image?basis_id=" .. basis .. "&service=" .. service .. "&content_ref=img-" .. i,
    {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "image/jpeg",
    }, images[i])
end

done = dofile(os.getenv("BENCH_DIR") .. "/summary.lua")
