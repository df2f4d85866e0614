"""The loyalty endpoints of API.md: members with their points (enrol, look up, detail,
transactions), purchases, refunds, previews and the program."""
