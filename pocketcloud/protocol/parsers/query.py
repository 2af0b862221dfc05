"""The query protocol's request parser (STS, IAM, SNS, RDS, ... and CloudWatch's oldest).

Parameters come as a form body (POST) or query string (GET): "Name.member.N" lists,
"Name.entry.N.key/.value" maps, flattened and locationName variants, "Name=" for an
empty list. See _form.py for the nesting rules.
"""

from ._formrequest import make_parse

parse = make_parse("query", ec2=False)
