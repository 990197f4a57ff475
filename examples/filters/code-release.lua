-- Papers that link to their code (GitHub, GitLab, Hugging Face, ...), surveys excluded.
--   arxivdigest filter examples/filters/code-release.lua --sandbox
local f = require "arxivdigest.filter"
return f.has_code() * -f.keywords{"survey", "review"}
