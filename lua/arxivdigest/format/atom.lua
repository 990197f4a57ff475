-- arxivdigest.format.atom: an Atom 1.0 feed (RFC 4287), one per saved
-- query so that a feed reader can follow a search.
--
--   opts.query    the search the feed follows: the feed's id is derived
--                 from it (urn:arxivdigest:query:<FNV-1a 64 of the command
--                 and the normalised query>: the same query gives the same
--                 id, spacing and case aside) and its title names it
--                 ("arXiv: diffusion", "arXiv similar: 1512.03385")
--   opts.command  the command that made the feed ("search", "similar"...;
--                 default "search"): part of the id and the title
--   opts.title    feed title (overrides the one derived from the query;
--                 without a query the id is derived from it)
--   opts.id       feed id (an IRI; overrides the derived one)
--   opts.link     the feed's own URL (rel="self"), when it is published
--   opts.now      the feed's <updated> (string, or epoch seconds; default now)
--
-- Each paper is one entry: id http://arxiv.org/abs/<id> (stable across
-- versions), title, summary, author and category elements, published and
-- updated (RFC 3339), links to the abstract and PDF pages (http(s) URLs
-- only). Text is XML-escaped, and characters XML 1.0 forbids are removed.

local util = require "arxivdigest.format.util"

local ipairs = ipairs
local table = table

local M = { name = "atom", extension = "atom", mime = "application/atom+xml; charset=utf-8" }

local esc = util.xml

-- Stable feed id for a query (and command).
function M.feed_id(query, command)
  return util.output_id({ query = query, command = command })
end

local function abs_id(p)
  return "http://arxiv.org/abs/" .. util.id_path(util.line(p.id))
end

local function entry(p, now)
  local out = { "<entry>" }
  out[#out + 1] = "<id>" .. esc(abs_id(p)) .. "</id>"
  local title = util.line(p.title)
  out[#out + 1] = '<title type="text">' .. esc(title ~= "" and title or util.line(p.id)) .. "</title>"
  local published = util.paper_time(p, "published")
  local updated = util.paper_time(p, "updated") or published
  if not updated and util.ymd(p.date) then updated = p.date:sub(1, 10) .. "T00:00:00Z" end
  out[#out + 1] = "<updated>" .. esc(updated or now) .. "</updated>"
  if published then out[#out + 1] = "<published>" .. esc(published) .. "</published>" end
  for _, a in ipairs(util.array(p.authors)) do
    local name = util.line(a)
    if name ~= "" then out[#out + 1] = "<author><name>" .. esc(name) .. "</name></author>" end
  end
  local abs = p.abs_url
  if not util.is_http_url(abs) then abs = "https://arxiv.org/abs/" .. util.id_path(util.line(p.id)) end
  out[#out + 1] = '<link rel="alternate" type="text/html" href="' .. esc(abs) .. '"/>'
  local pdf = p.pdf_url
  if util.is_http_url(pdf) then
    out[#out + 1] = '<link rel="related" type="application/pdf" title="pdf" href="' .. esc(pdf) .. '"/>'
  end
  for _, doi in ipairs(util.dois(p.doi)) do      -- each DOI of the field
    out[#out + 1] = '<link rel="related" title="doi" href="' .. esc("https://doi.org/" .. util.pct(doi, "/:;()"))
      .. '"/>'
  end
  local cats = util.array(p.categories)
  if #cats == 0 and p.primary_category then cats = { p.primary_category } end
  for _, c in ipairs(cats) do
    local term = util.line(c)
    if term ~= "" then
      out[#out + 1] = '<category term="' .. esc(term) .. '" scheme="http://arxiv.org/schemas/atom"/>'
    end
  end
  local summary = util.line(p.abstract)
  local extra = {}
  if p.comment then extra[#extra + 1] = "Comment: " .. util.line(p.comment) end
  if p.journal then extra[#extra + 1] = "Journal: " .. util.line(p.journal) end
  if #extra > 0 then summary = summary .. (summary ~= "" and " " or "") .. "(" .. table.concat(extra, "; ") .. ")" end
  if summary ~= "" then out[#out + 1] = '<summary type="text">' .. esc(summary) .. "</summary>" end
  out[#out + 1] = "</entry>\n"
  return table.concat(out, "\n")
end

function M.render(papers, opts, write)
  local now = util.timestamp(opts.now)
  local title = util.output_title(opts, "arXiv digest")
  local id = opts.id or util.output_id(opts)
  local head = {
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    "<id>" .. esc(id) .. "</id>",
    '<title type="text">' .. esc(title) .. "</title>",
    "<updated>" .. esc(now) .. "</updated>",
    "<generator>arxivdigest</generator>",
    -- entries from daily listings carry no authors; the feed's author covers them
    "<author><name>arxivdigest</name></author>",
  }
  if util.is_http_url(opts.link) then
    head[#head + 1] = '<link rel="self" type="application/atom+xml" href="' .. esc(opts.link) .. '"/>'
  end
  head[#head + 1] = '<link rel="alternate" type="text/html" href="https://arxiv.org/"/>'
  if opts.query then
    head[#head + 1] = '<subtitle type="text">Papers matching ' .. esc(util.line(opts.query)) .. "</subtitle>"
  end
  write(table.concat(head, "\n") .. "\n")
  for i = 1, #papers do write(entry(papers[i], now)) end
  write("</feed>\n")
end

return M
