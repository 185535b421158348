// Express 5 with hand-written routes and checks (express.json() for the body), defaults otherwise.
import express from 'express';
import { answer, HOST, isNewPet, parsePetId, PORT, ready } from './common';

const app = express();
app.get('/pets/:petId', (req, res) => {
  const petId = parsePetId(req.params.petId);
  if (petId === undefined) return void res.status(400).json({ message: 'petId must be an integer ≥ 1' });
  const a = answer('getPet', { petId });
  res.status(a.status).json(a.body);
});
app.post('/pets', express.json(), (req, res) => {
  if (!req.is('application/json')) return void res.status(415).json({ message: 'send application/json' });
  if (!isNewPet(req.body)) return void res.status(400).json({ message: 'invalid pet' });
  const a = answer('createPet', {}, req.body);
  res.status(a.status).json(a.body);
});
const server = app.listen(PORT, HOST, () => ready(server));
