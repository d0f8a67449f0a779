"""Protocol-level stand-in for MySQL 8.x servers (a mysql-mimic server answering captured result sets)."""
