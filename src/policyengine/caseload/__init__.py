"""Caseloads: many cases read, decided and summed up (batch, worklist, impact)."""
