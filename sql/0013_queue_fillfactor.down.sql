-- Undo 0013: back to the default fill factor (100).
ALTER TABLE queue_jobs RESET (fillfactor);
