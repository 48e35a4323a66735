-- Issue 14 §5: keepFiringFor. When the condition of a firing (or acknowledged) alert last cleared, while the rule's
-- keepFiringFor holds it firing; null while the condition holds (it is reset when the condition holds again).
ALTER TABLE alerts ADD COLUMN cleared_at timestamptz;
