-- Segmentation papers: the word in the title, or "semantic/instance/panoptic
-- segmentation" in the abstract.
--   arxivdigest filter examples/filters/segmentation.lua -i archive.adx
-- Written in the query language, so an index runs it (and on digest files
-- it is evaluated on each paper by the same rules: whole words, case and
-- diacritics folded, "semantic-segmentation" as well as "semantic segmentation").
local f = require "arxivdigest.filter"
return f.query('ti:segmentation OR abs:("semantic segmentation" OR "instance segmentation" OR "panoptic segmentation")')
