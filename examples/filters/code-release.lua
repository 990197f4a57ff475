-- Papers that link to their code (GitHub, GitLab, Hugging Face, ...), surveys
-- and reviews excluded (by their title: "under review" in a comment or "we
-- review" in an abstract does not make a survey).
--   arxivdigest filter examples/filters/code-release.lua -i archive.adx --sandbox
-- Both parts are in the query language, so an index runs the whole filter.
local f = require "arxivdigest.filter"
return f.has_code() * -f.query("ti:(survey OR review)")
