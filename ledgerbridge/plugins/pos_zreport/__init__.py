"""Connector pos_zreport: DUELL POS daily settlements into Visma.net."""
