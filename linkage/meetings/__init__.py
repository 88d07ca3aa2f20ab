"""Joint meetings of the four forces: convened by community staff (or street civil affairs staff), with
an agenda drafted from the data, minutes, and decisions that the next meeting follows up."""
