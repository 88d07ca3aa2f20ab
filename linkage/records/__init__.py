"""A volunteer's service record in the national format (MCA order 67; Regulations on Volunteer Service
2017): the volunteer number, locked hours and their corrections, cumulative hours and stars, service
certificates with public notice and verification, complaints, and the record's export."""
