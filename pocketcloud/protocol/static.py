"""Static: a result value its provider promises never to change.

Fixed data (regions, availability zones) is answered from the same dicts on every request;
wrapping them in Static lets serializers encode each one once and reuse the text.
"""


class Static(dict):
    __slots__ = ("encoded",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.encoded: dict = {}  # serializer's key -> encoded form

    def __setitem__(self, key, value):
        raise TypeError("Static values are immutable")
