"""The weekly 1x1 review pack (issue 13 §6, METHODOLOGY §10.5): one page per rep per week."""
