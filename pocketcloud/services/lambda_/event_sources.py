"""Event source mappings (filled in below)."""


class Mappings:
    def __init__(self, provider):
        self.provider = provider

    def start(self):
        pass

    def forget_function(self, ns, name):
        pass
