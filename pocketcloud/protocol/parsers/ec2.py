"""The ec2 protocol's request parser.

Like query, but lists are always "Name.N" and a member's wire name is its queryName, else
its capitalised locationName, else the member name. See _form.py.
"""

from ._formrequest import make_parse

parse = make_parse("ec2", ec2=True)
