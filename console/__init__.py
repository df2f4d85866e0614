"""The staff console (/staff/): the till's pages for cashiers, managers and marketers. Its
writes go through console.services, which check the actor's role as well as the views."""
