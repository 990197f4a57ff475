-- `make demo`: a first report on the bundled sample digests (examples/data).
-- Prints a digest of papers matching a few interests to the terminal, and
-- writes the same papers as one self-contained HTML page to build/demo.html.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/?.so;" .. package.cpath

local ad = require "arxivdigest"
local f = ad.filter

local sample = assert(ad.sample())
local c = assert(ad.open(sample))
print(("Bundled sample: %d papers in %d files (%s)"):format(#c, #c:files(), sample))
for _, w in ipairs(c:warnings()) do
  io.stderr:write(("%s:%d: %s\n"):format(w.source, w.line, w.message))
end

-- my interests: segmentation or depth, in computer vision, not surveys
local interests = f.category("cs.CV")
  * f.keywords{"segmentation", "depth", "diffusion", "3D"}
  * -f.keywords{"survey", "review"}

local digest = ad.from(c):where(interests):sort("date", "desc")
print(("%d papers match: %s\n"):format(digest:count(), tostring(interests)))

io.write(digest:limit(5):format("text", {width = 80, color = false}):render())

os.execute("mkdir -p build")
digest:group_by("date"):format("html", {title = "arxivdigest demo: my interests"})
  :write("build/demo.html")
print("\nThe full report, grouped by day, is in build/demo.html")
